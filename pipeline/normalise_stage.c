/*
 * normalise_stage.c — PLACEHOLDER until its owner lands the real module (normalise).
 */
#include "stage.h"

int sp_stage_normalise(sp_ctx *ctx, const sp_source *src, sp_counts *c)
{
	(void)src, (void)c;
	return sp_err_set(ctx->err, SP_EIO, "stage not implemented yet");
}

/*
 * fetch.c — PLACEHOLDER until its owner lands the real module (fetch).
 */
#include "stage.h"

int sp_stage_fetch(sp_ctx *ctx, const sp_source *src, sp_counts *c)
{
	(void)src, (void)c;
	return sp_err_set(ctx->err, SP_EIO, "stage not implemented yet");
}

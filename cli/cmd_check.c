/*
 * cmd_check.c — `sparker check`: the whole configuration checked, nothing run.
 *
 * Loads -c CONFIG as every command does (core/config.h: every section and key against its spec,
 * the taxonomy, each source's filter, the selection band), then checks that the paths it names
 * can be used (sp_config_check_paths: the database, raw store, report directory and log file can
 * be created, a ca_file can be read). It opens no database and creates nothing. Prints
 * "CONFIG: ok (N sources, M jobs, K taxonomy domains)", or every problem found, one per line
 * ("FILE:LINE: what"), and exits 3.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "pipeline/hub.h"
#include "pipeline/run.h"
#include "pipeline/taxonomy.h"

static int cmd_check(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_check_entry = {
	.name = "check",
	.fn = cmd_check,
	.flags = 0, /* loads the config itself, to report every problem and not only the first */
	.summary = "check the configuration (keys, taxonomy, filters, paths) without running anything",
	.usage = "usage: sparker [-c CONFIG] check\n\n"
	         "Checks every section and key of CONFIG (unknown or misspelt names, keys set twice,\n"
	         "values of the wrong type or out of range), the taxonomy, each source's pushdown\n"
	         "filter, and that the database, raw store, report directory and log file can be\n"
	         "created. Touches no database and creates nothing. Prints every problem with its\n"
	         "FILE:LINE and exits 3, or prints \"CONFIG: ok (...)\" and exits 0.\n"
};

static int cmd_check(int argc, char **argv, sp_env *env)
{
	(void)argv;
	if (argc > 1) {
		sp_cmd_error("check: takes no arguments (the config is -c CONFIG)");
		return SP_EXIT_USAGE;
	}
	sp_config_problems p = { .n = 0 };
	sp_config *cfg = NULL;
	sp_err err;
	if (sp_config_load_all(env->config_path, &sp_run_vocab, &cfg, &p, &err) == SP_OK)
		sp_config_check_paths(cfg, &p);
	if (p.n) {
		const char *line = sp_buf_str(&p.text);
		while (*line) {
			size_t n = strcspn(line, "\n");
			fprintf(stderr, "sparker: %.*s\n", (int)n, line);
			line += n + (line[n] == '\n');
		}
		fprintf(stderr, "CONFIG: %d problem%s in %s\n", p.n, p.n == 1 ? "" : "s", env->config_path);
		sp_buf_release(&p.text);
		sp_config_free(cfg);
		return SP_EXIT_CONFIG;
	}
	sp_env with = *env; /* --hub and SPARKER_HUB against this config's hubs, as every command does */
	with.cfg = cfg;
	if (sp_cmd_hub_check(&with) != SP_OK) {
		sp_config_free(cfg);
		return SP_EXIT_USAGE;
	}
	int domains = 0, hubs = sp_hub_count(cfg);
	sp_taxonomy *t = NULL;
	if (sp_taxonomy_load(cfg, &t, &err) == SP_OK) /* it loaded with the config */
		domains = t->ndomains;
	sp_taxonomy_free(t);
	printf("CONFIG: ok (%d sources, %d jobs, %d taxonomy domains", cfg->nsources, cfg->njobs, domains);
	if (hubs)
		printf(", %d hub%s", hubs, hubs == 1 ? "" : "s");
	printf(")\n");
	sp_buf_release(&p.text);
	sp_config_free(cfg);
	return SP_EXIT_OK;
}

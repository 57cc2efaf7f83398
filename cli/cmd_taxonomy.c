/*
 * cmd_taxonomy.c — `sparker taxonomy`: the thesis in force, or the built-in one to copy.
 *
 * Without option: loads the taxonomy as the score stage does (pipeline/taxonomy.h: the base named
 * by [sparker] taxonomy, the config's [taxonomy DOMAIN] sections on top) and prints its base and
 * one line per domain: name, label, weight, and how many codes, categories, keywords, negatives
 * and context words it has. `--builtin` prints the text of the built-in thesis
 * (share/taxonomy.ini), for a programme that wants its own file to start from; it needs no config.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "pipeline/run.h"
#include "pipeline/taxonomy.h"

static int cmd_taxonomy(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_taxonomy_entry = {
	.name = "taxonomy",
	.fn = cmd_taxonomy,
	.flags = 0, /* --builtin needs no config; the listing loads it below */
	.summary = "print the thesis in force (domains and their items), or the built-in one",
	.usage = "usage: sparker [-c CONFIG] taxonomy [--builtin]\n\n"
	         "Without option: the taxonomy the score stage uses with CONFIG: its base\n"
	         "([sparker] taxonomy = builtin | none | FILE) and one line per domain (name, label,\n"
	         "weight, number of codes, categories, keywords, negatives, context words).\n"
	         "  --builtin   print the built-in thesis (share/taxonomy.ini) as INI text, to start a\n"
	         "              programme's own file from: sparker taxonomy --builtin > mine.ini\n"
};

static int list_domains(sp_env *env)
{
	sp_config *cfg = NULL;
	sp_err err;
	if (sp_config_load(env->config_path, &sp_run_vocab, &cfg, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		return SP_EXIT_CONFIG;
	}
	sp_taxonomy *t = NULL;
	if (sp_taxonomy_load(cfg, &t, &err) != SP_OK) { /* refused at load already; kept for safety */
		sp_cmd_error("%s", err.msg);
		sp_config_free(cfg);
		return SP_EXIT_CONFIG;
	}
	printf("taxonomy: %s, %d domains (config %s)\n", t->base_name, t->ndomains, env->config_path);
	printf("%-20s %-44s %6s %5s %5s %5s %5s %5s\n", "DOMAIN", "LABEL", "WEIGHT", "CODES", "CATS", "KEYW", "NEG",
	       "CTX");
	for (int i = 0; i < t->ndomains; i++) {
		const sp_tax_domain *d = &t->domains[i];
		printf("%-20s %-44.44s %6.3g %5d %5d %5d %5d %5d\n", d->name, d->label, d->weight, d->ncodes,
		       d->ncategories, d->nkeywords, d->nnegatives, d->ncontext);
	}
	sp_taxonomy_free(t);
	sp_config_free(cfg);
	return SP_EXIT_OK;
}

static int cmd_taxonomy(int argc, char **argv, sp_env *env)
{
	if (argc == 2 && !strcmp(argv[1], "--builtin")) {
		fputs(sp_taxonomy_builtin, stdout);
		return SP_EXIT_OK;
	}
	if (argc > 1) {
		sp_cmd_error("taxonomy: unknown argument '%s' (see sparker taxonomy --help)", argv[1]);
		return SP_EXIT_USAGE;
	}
	return list_domains(env);
}

/*
 * auth.c — API keys and OAuth2 client-credentials tokens for the fetch stage. See auth.h (what it
 * does, invariants, ownership, failure).
 *
 * Layout: the keys and their checks, reading a secret (environment or file), sp_auth_init, the
 * token request (token_get), sp_auth_get (the GET, with one fresh token after a 401).
 */
#include "connectors/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#define SECRET_MAX 4096     /* bytes read from a secret file */
#define TOKEN_BODY_MAX 65536 /* bytes of a token answer */

/* Overwrite a secret with zeros, then free it. */
static void wipe_free(char *s)
{
	if (!s)
		return;
	volatile char *p = s;
	while (*p)
		*p++ = '\0';
	free(s);
}

static void wipe_buf(sp_buf *b)
{
	if (b->buf) {
		volatile char *p = b->buf;
		for (size_t i = 0; i < b->cap; i++)
			p[i] = '\0';
	}
	sp_buf_release(b);
}

static int check_header_name(const char *v, sp_err *err)
{
	if (strpbrk(v, "\r\n"))
		return sp_err_set(err, SP_ECONFIG, "holds a line break");
	return SP_OK;
}

static int check_token_url(const char *v, sp_err *err)
{
	if (strncasecmp(v, "https://", 8) && strncasecmp(v, "http://", 7))
		return sp_err_set(err, SP_ECONFIG, "must be an https:// URL, not '%s'", v);
	return SP_OK;
}

const sp_config_key sp_auth_keys[] = {
	{ "source *", "api_key_env", SP_KEY_STRING, .flags = 0 },
	{ "source *", "api_key_file", SP_KEY_PATH, .flags = SP_KEY_READ },
	{ "source *", "header_name", SP_KEY_STRING, .def = "Authorization: Bearer", .check = check_header_name },
	{ "source *", "token_url", SP_KEY_STRING, .check = check_token_url },
	{ "source *", "client_id", SP_KEY_STRING, .check = check_header_name },
	{ "source *", "client_secret_env", SP_KEY_STRING, .flags = 0 },
	{ "source *", "client_secret_file", SP_KEY_PATH, .flags = SP_KEY_READ },
	{ "source *", "token_scope", SP_KEY_STRING, .flags = 0 },
	{ "source *", "token_auth", SP_KEY_ENUM, .def = "basic", .choices = "basic|post" },
	{ 0 },
};

/* ---- secrets ------------------------------------------------------------------------------- */

/* The first line of a secret file: a regular file, not the config, that not every user may read. */
static int secret_from_file(const sp_config *cfg, const char *key, const char *path, char **out, sp_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sp_err_set(err, SP_ECONFIG, "%s %s: %s", key, path, strerror(errno));
	struct stat st, cs;
	int rc = SP_OK;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		rc = sp_err_set(err, SP_ECONFIG, "%s %s: not a regular file", key, path);
	else if (cfg && cfg->path && stat(cfg->path, &cs) == 0 && cs.st_dev == st.st_dev && cs.st_ino == st.st_ino)
		rc = sp_err_set(err, SP_ECONFIG, "%s %s is the config itself: keep the secret in a file of its own", key, path);
	else if (st.st_mode & (S_IROTH | S_IWOTH))
		rc = sp_err_set(err, SP_ECONFIG, "%s %s: every user may read or write it (mode %04o): chmod o-rwx it", key,
				path, (unsigned)(st.st_mode & 07777));
	if (rc != SP_OK) {
		close(fd);
		return rc;
	}
	char *buf = sp_xcalloc(1, SECRET_MAX + 1);
	ssize_t n, got = 0;
	while (got < SECRET_MAX && (n = read(fd, buf + got, (size_t)(SECRET_MAX - got))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = sp_err_set(err, SP_ECONFIG, "%s %s: %s", key, path, strerror(errno));
			break;
		}
		got += n;
	}
	close(fd);
	buf[strcspn(buf, "\r\n")] = '\0';
	size_t len = strlen(buf);
	while (len && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = '\0';
	if (rc == SP_OK && !len)
		rc = sp_err_set(err, SP_ECONFIG, "%s %s: the first line is empty", key, path);
	if (rc != SP_OK) {
		memset(buf, 0, SECRET_MAX);
		free(buf);
		return rc;
	}
	*out = sp_xstrdup(buf);
	memset(buf, 0, SECRET_MAX);
	free(buf);
	return SP_OK;
}

/* The secret named by env_key or file_key of the source (neither set: *out NULL; both: an error). */
static int secret_read(const sp_config *cfg, const sp_source *src, const char *env_key, const char *file_key,
		       char **out, sp_err *err)
{
	*out = NULL;
	const char *var = sp_config_str(cfg, src->section, sp_auth_keys, env_key);
	const char *file = sp_config_str(cfg, src->section, sp_auth_keys, file_key);
	if (var && *var && file && *file)
		return sp_err_set(err, SP_ECONFIG, "[%s] %s and %s: set one of them", src->section, env_key, file_key);
	if (file && *file) {
		char *path = sp_config_path(cfg, file);
		int rc = secret_from_file(cfg, file_key, path, out, err);
		free(path);
		return rc;
	}
	if (!var || !*var)
		return SP_OK;
	const char *v = getenv(var);
	if (!v || !*v)
		return sp_err_set(err, SP_ECONFIG, "%s: environment variable %s is not set", env_key, var);
	if (strpbrk(v, "\r\n"))
		return sp_err_set(err, SP_ECONFIG, "%s: environment variable %s holds a line break", env_key, var);
	*out = sp_xstrdup(v);
	return SP_OK;
}

/* ---- init ---------------------------------------------------------------------------------- */

/* The token request: its form, and the Basic header unless the secret goes in the form. */
static void oauth_request(sp_auth *a, const sp_config *cfg, const sp_source *src, const char *id, const char *secret)
{
	sp_buf f = SP_BUF_INIT;
	sp_buf_adds(&f, "grant_type=client_credentials");
	const char *scope = sp_config_str(cfg, src->section, sp_auth_keys, "token_scope");
	if (scope && *scope) {
		char *e = sp_http_escape(scope);
		sp_buf_addf(&f, "&scope=%s", e);
		free(e);
	}
	char *eid = sp_http_escape(id), *esec = sp_http_escape(secret);
	if (sp_config_choice(cfg, src->section, sp_auth_keys, "token_auth") == 1) { /* post */
		sp_buf_addf(&f, "&client_id=%s&client_secret=%s", eid, esec);
	} else { /* RFC 6749 2.3.1: form-encoded id and secret, base64 of "id:secret" */
		sp_buf pair = SP_BUF_INIT;
		sp_buf_addf(&pair, "%s:%s", eid, esec);
		unsigned char *b64 = sp_xcalloc(1, 4 * (pair.len / 3 + 1) + 1);
		EVP_EncodeBlock(b64, (const unsigned char *)pair.buf, (int)pair.len);
		sp_buf h = SP_BUF_INIT;
		sp_buf_addf(&h, "Authorization: Basic %s", (const char *)b64);
		a->basic_header = sp_buf_detach(&h);
		wipe_free((char *)b64);
		wipe_buf(&pair);
	}
	free(eid);
	wipe_free(esec);
	a->form = sp_buf_detach(&f);
}

static int oauth_init(sp_auth *a, const sp_config *cfg, const sp_source *src, const char *token_url, sp_err *err)
{
	const char *id = sp_config_str(cfg, src->section, sp_auth_keys, "client_id");
	if (!id || !*id)
		return sp_err_set(err, SP_ECONFIG, "[%s] token_url needs client_id", src->section);
	if (!sp_http_secure_for_secrets(token_url))
		return sp_err_set(err, SP_ECONFIG, "[%s] token_url must be https:// (plain http only to the loopback)",
				  src->section);
	char *secret = NULL;
	int rc = secret_read(cfg, src, "client_secret_env", "client_secret_file", &secret, err);
	if (rc != SP_OK)
		return rc;
	if (!secret)
		return sp_err_set(err, SP_ECONFIG, "[%s] token_url needs client_secret_env or client_secret_file",
				  src->section);
	a->token_url = sp_xstrdup(token_url);
	oauth_request(a, cfg, src, id, secret);
	wipe_free(secret);
	return SP_OK;
}

int sp_auth_init(sp_auth *a, const sp_config *cfg, const sp_source *src, sp_err *err)
{
	memset(a, 0, sizeof(*a));
	const char *token_url = sp_config_str(cfg, src->section, sp_auth_keys, "token_url");
	char *key = NULL;
	int rc = secret_read(cfg, src, "api_key_env", "api_key_file", &key, err);
	if (rc != SP_OK)
		return rc;
	if (key && token_url && *token_url) {
		wipe_free(key);
		return sp_err_set(err, SP_ECONFIG, "[%s] an API key and token_url: use one of them", src->section);
	}
	if (token_url && *token_url)
		return oauth_init(a, cfg, src, token_url, err);
	if (!key)
		return SP_OK;
	const char *name = sp_config_str(cfg, src->section, sp_auth_keys, "header_name");
	if (!*name) {
		wipe_free(key);
		return sp_err_set(err, SP_ECONFIG, "[%s] header_name is empty", src->section);
	}
	sp_buf h = SP_BUF_INIT;
	sp_buf_addf(&h, "%s%s%s", name, strchr(name, ':') ? " " : ": ", key);
	a->key_header = sp_buf_detach(&h);
	wipe_free(key);
	return SP_OK;
}

void sp_auth_release(sp_auth *a)
{
	if (!a)
		return;
	wipe_free(a->key_header);
	wipe_free(a->form);
	wipe_free(a->basic_header);
	wipe_free(a->bearer);
	free(a->token_url);
	memset(a, 0, sizeof(*a));
}

/* ---- the token ----------------------------------------------------------------------------- */

/* The access token out of a token answer into a->bearer, with its expiry. */
static int token_take(sp_auth *a, const sp_buf *body, const char *shown, sp_err *err)
{
	json_error_t je;
	json_t *doc = json_loadb(body->buf ? body->buf : "", body->len, 0, &je);
	json_t *tok = json_object_get(doc, "access_token"), *type = json_object_get(doc, "token_type");
	json_t *exp = json_object_get(doc, "expires_in");
	const char *t = json_string_value(tok);
	int rc = SP_OK;
	if (!doc)
		rc = sp_err_set(err, SP_EIO, "OAuth2 token from %s: the answer is not JSON", shown);
	else if (!t || !*t || strpbrk(t, "\r\n"))
		rc = sp_err_set(err, SP_EIO, "OAuth2 token from %s: the answer has no usable access_token", shown);
	else if (type && (!json_is_string(type) || strcasecmp(json_string_value(type), "bearer")))
		rc = sp_err_set(err, SP_EIO, "OAuth2 token from %s: token_type is not Bearer", shown);
	if (rc == SP_OK) {
		sp_buf h = SP_BUF_INIT;
		sp_buf_addf(&h, "Authorization: Bearer %s", t);
		wipe_free(a->bearer);
		a->bearer = sp_buf_detach(&h);
		double secs = json_is_number(exp) ? json_number_value(exp) : 0;
		if (secs <= 0 && json_is_string(exp))
			secs = strtod(json_string_value(exp), NULL);
		double margin = secs / 10 > 60 ? 60 : secs / 10;
		a->expires = secs > 0 ? sp_mono() + secs - margin : 0;
		a->tokens++;
		if (tok && json_is_string(tok)) /* jansson's copy of the token, before it is freed */
			memset((char *)json_string_value(tok), 0, json_string_length(tok));
	}
	json_decref(doc);
	return rc;
}

/* POST the client credentials to token_url; tmpl gives the timeouts, retries and trust. */
static int token_get(sp_auth *a, const sp_http_req *tmpl, sp_err *err)
{
	wipe_free(a->bearer);
	a->bearer = NULL;
	sp_buf body = SP_BUF_INIT;
	sp_http_req req = *tmpl;
	req.url = a->token_url;
	req.fd = -1;
	req.mem = &body;
	req.post_fields = a->form;
	req.secret_header = a->basic_header;
	req.if_none_match = req.if_modified_since = NULL;
	req.max_bytes = TOKEN_BODY_MAX;
	req.progress_label = NULL;
	sp_http_resp resp;
	int rc = sp_http_get(&req, &resp, err);
	sp_http_resp_release(&resp);
	if (rc != SP_OK) {
		sp_err_prefix(err, "OAuth2 token");
	} else {
		char *shown = sp_http_redact(a->token_url);
		rc = token_take(a, &body, shown, err);
		free(shown);
	}
	wipe_buf(&body);
	return rc;
}

int sp_auth_get(sp_auth *a, sp_http_req *req, sp_http_resp *resp, sp_err *err)
{
	req->secret_header = a ? a->key_header : NULL;
	if (!a || !a->token_url)
		return sp_http_get(req, resp, err);
	int rc;
	for (int fresh = 0;; fresh = 1) {
		if (!a->bearer || (a->expires > 0 && sp_mono() >= a->expires) || fresh) {
			memset(resp, 0, sizeof(*resp));
			if ((rc = token_get(a, req, err)) != SP_OK)
				return rc;
		}
		req->secret_header = a->bearer;
		rc = sp_http_get(req, resp, err);
		req->secret_header = NULL;
		if (rc == SP_OK || resp->status != 401)
			return rc;
		if (fresh) {
			size_t n = strlen(err->msg);
			snprintf(err->msg + n, sizeof(err->msg) - n, ", again with a fresh token");
			return rc;
		}
		sp_http_resp_release(resp);
	}
}

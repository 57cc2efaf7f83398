/*
 * auth.h — the credential a source's fetch sends: an API key in a header, or an OAuth2 bearer
 * token got by the client-credentials grant (RFC 6749 section 4.4), kept for the pull.
 *
 * What it does: sp_auth_init() reads the source's auth keys (sp_auth_keys, below) and the secret
 * they name: from an environment variable (`api_key_env`, `client_secret_env`) or from a file
 * that is not the config (`api_key_file`, `client_secret_file`: its first line; refused when
 * every user may read it, or when it is the config itself). A secret is never a config value:
 * there is no key to write one in. sp_auth_get() is a GET with the credential: with OAuth2 it
 * first gets a token from `token_url` (POST grant_type=client_credentials, the client id and
 * secret in an HTTP Basic header, or in the form with `token_auth = post`), reuses it until the
 * `expires_in` it came with (less a margin of a tenth, at most 60 s) and, when the API answers
 * 401, gets a fresh token and asks once more: a second 401 fails the request.
 *
 * Invariants: no secret (API key, client secret, token) is put in an error message, the
 * database, a log or a URL; they live only in this struct and the request headers, and are
 * overwritten with zeros before they are freed. token_url is https, or http to the loopback
 * (127.0.0.1, ::1, localhost) only. The token request follows no redirect.
 *
 * Ownership: sp_auth owns its strings; sp_auth_release() wipes and frees them (a zeroed sp_auth
 * is released as a no-op).
 * Failure: SP_ECONFIG for keys that do not fit together or a secret that cannot be read (the
 * message names the key and the variable or file, never the value); SP_EIO when the token
 * request fails or its answer has no usable access_token. Never prints.
 */
#ifndef SP_AUTH_H
#define SP_AUTH_H

#include "connectors/http.h"
#include "core/config.h"

typedef struct sp_auth {
	char *key_header;   /* "Name: KEY" (api_key_env / api_key_file), or NULL */
	char *token_url;    /* OAuth2: set when token_url is */
	char *form;         /* the token request's body (holds the secret with token_auth = post) */
	char *basic_header; /* "Authorization: Basic ..." for token_auth = basic, or NULL */
	char *bearer;       /* "Authorization: Bearer TOKEN" while a token is held, or NULL */
	double expires;     /* sp_mono() time after which the token is not used (0: no expiry given) */
	int tokens;         /* tokens got so far */
} sp_auth;

/* The auth keys of every [source] (see the top of this file). */
extern const sp_config_key sp_auth_keys[];

int sp_auth_init(sp_auth *a, const sp_config *cfg, const sp_source *src, sp_err *err);
/*
 * sp_http_get(req) with the credential in req->secret_header (req's own is replaced; a is NULL:
 * none is sent). With OAuth2, a token is got first when none is held or it expired, and a 401 is
 * asked once more with a fresh one; req's timeouts and ca_file serve the token request too.
 * resp is as sp_http_get leaves it (the last answer's).
 */
int sp_auth_get(sp_auth *a, sp_http_req *req, sp_http_resp *resp, sp_err *err);
void sp_auth_release(sp_auth *a);

#endif

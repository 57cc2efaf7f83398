/*
 * review_screen.c — the ncursesw screens of `sparker review` (contract in review_screen.h): the
 * pairs, the startups around the cut, and an audit sample to label.
 *
 * One item of a queue per screen, drawn from scratch on every key and on KEY_RESIZE (so a
 * resize is a redraw). Pairs side by side when the terminal has at least WIDE_COLS columns,
 * stacked otherwise; below MIN_COLS x MIN_LINES the screen only says it is too small. Text
 * is cut at character boundaries by display width (wcwidth), so UTF-8 names render under a
 * UTF-8 locale; bytes that do not decode show as '?', control characters as spaces.
 *
 * Invariants: the terminal is given back (endwin, delscreen) on every way out of a screen
 * function. What is decided goes to the judgement log at once (pipeline/judgement.h), one
 * judgement per key; the undo stack of the session lives here and dies with it. The queue
 * arrays are not reordered: an item judged stays in place, marked.
 */
#include <curses.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "cli/review_screen.h"
#include "core/lock.h"
#include "pipeline/inbox.h"
#include "pipeline/judgement.h"

#define MIN_COLS 40
#define MIN_LINES 12
#define WIDE_COLS 100
#define LABEL_W 12

static const char APPLIES_DEDUPE[] = "judgements apply at the next dedupe run (sparker run --stage dedupe)";
static const char APPLIES_SCORE[] = "pins take effect at the next scoring (sparker run --stage score)";

/* ---------------------------------------------------------------- drawing text */

/* Bytes of the longest prefix of p that fits w columns; *cols: the columns it takes. */
static size_t fit(const char *p, int w, int *cols)
{
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	size_t i = 0;
	int used = 0;
	while (p[i]) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, p + i, strnlen(p + i, MB_LEN_MAX), &st);
		int cw = 1;
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0)
			memset(&st, 0, sizeof(st)), k = 1;
		else if (!iswcntrl((wint_t)wc) && wcwidth(wc) >= 0)
			cw = wcwidth(wc);
		if (used + cw > w)
			break;
		used += cw, i += k;
	}
	if (cols)
		*cols = used;
	return i;
}

/* Draw n bytes of p at the cursor: undecodable bytes as '?', control characters as ' '. */
static void draw_span(const char *p, size_t n)
{
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	for (size_t i = 0; i < n;) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, p + i, n - i, &st);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&st, 0, sizeof(st));
			addch('?');
			i++;
		} else if (iswcntrl((wint_t)wc) || wcwidth(wc) < 0) {
			addch(' ');
			i += k;
		} else {
			addnstr(p + i, (int)k);
			i += k;
		}
	}
}

/* s on one line at (y, x), in at most w columns. */
static void put(int y, int x, const char *s, int w)
{
	if (!s || w <= 0 || y < 0 || y >= LINES || x >= COLS)
		return;
	move(y, x);
	draw_span(s, fit(s, w, NULL));
}

/* s wrapped at spaces into at most maxl lines of w columns from (y, x); returns lines drawn. */
static int put_wrapped(int y, int x, const char *s, int w, int maxl)
{
	int lines = 0;
	while (s && *s && lines < maxl && w > 0) {
		size_t n = fit(s, w, NULL);
		if (!n)
			break;
		if (s[n] && s[n] != ' ') {
			size_t j = n;
			while (j > 0 && s[j - 1] != ' ')
				j--;
			if (j > 0)
				n = j;
		}
		if (y + lines >= LINES)
			break;
		move(y + lines, x);
		draw_span(s, n);
		lines++;
		s += n;
		while (*s == ' ')
			s++;
	}
	return lines;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* ---------------------------------------------------------------- the session */

typedef struct undo_step {
	size_t at;    /* the item it was made on */
	int64_t id;   /* the judgement written (0: none, an identical one was in force) */
	char prev[4]; /* selection: the pin the startup carried before ("": none) */
} undo_step;

typedef struct screen {
	SCREEN *term;
	sp_store *db;
	const sp_config *cfg; /* for the run lock, taken around each write */
	const char *user, *hub; /* who records, from which hub (cmd.h: sp_cmd_user, sp_cmd_hub) */
	sp_review_tally *t;
	sp_err *err;
	size_t n, at;
	signed char *mark; /* per item: decided in this session (pairs: the kind; -1: nothing) */
	undo_step *undo;
	size_t nundo;
	int help;
	char msg[320];
} screen;

static int screen_open(screen *s, sp_store *db, const sp_config *cfg, size_t n, const char *user, const char *hub,
		       sp_review_tally *t,
		       sp_err *err)
{
	memset(s, 0, sizeof(*s));
	s->db = db, s->cfg = cfg, s->user = user, s->hub = hub, s->t = t, s->err = err, s->n = n;
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");
	s->term = newterm(NULL, stdout, stdin);
	if (!s->term) {
		const char *term = getenv("TERM");
		return sp_err_set(err, SP_EIO, "cannot use the terminal (TERM=%s)", term && *term ? term : "unset");
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	s->mark = sp_xmalloc(n ? n : 1);
	memset(s->mark, -1, n ? n : 1);
	s->undo = sp_xmalloc(sizeof(*s->undo) * (n ? n : 1) * 4);
	return SP_OK;
}

static void screen_close(screen *s)
{
	if (s->term) {
		endwin();
		delscreen(s->term);
	}
	free(s->mark);
	free(s->undo);
	s->term = NULL, s->mark = NULL, s->undo = NULL;
}

static void say(screen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(screen *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	va_end(ap);
}

/* A refused judgement (or one a running job kept out) is said on the screen and the session goes
 * on; a database error ends it. */
static int settle(screen *s, int rc)
{
	if (rc == SP_EUSAGE || rc == SP_ENOTFOUND || rc == SP_ELOCKED) {
		say(s, "not recorded: %s", s->err->msg);
		return SP_OK;
	}
	return rc;
}

/*
 * Every write takes the run lock for itself only (core/lock.h), so an analyst who leaves the
 * screen open never keeps the nightly run out, and applies the inbox first (order kept); while a
 * run holds it, the judgement goes to the inbox (pipeline/inbox.h: o->pending, id 0) and the next
 * run applies it. A clear (j NULL) clears entity's pins (*k of them; 0 when pending).
 */
static int record_locked(screen *s, const sp_judgement *j, int64_t entity, sp_judgement_out *o, int *k)
{
	sp_lock *lock = NULL;
	sp_inbox *ib = NULL;
	sp_inbox_drained d;
	int rc = sp_lock_take_analyst(s->cfg, "review", &lock, s->err);
	if (rc == SP_ELOCKED)
		rc = sp_inbox_open(s->cfg->database, &ib, s->err);
	else if (rc == SP_OK && lock)
		rc = sp_inbox_drain(s->cfg->database, s->db, &d, s->err);
	if (rc == SP_OK && j) {
		rc = sp_inbox_record(s->db, ib, j, o, s->err);
	} else if (rc == SP_OK) {
		sp_judgement by = { .user = s->user, .hub = s->hub, .note = "cleared in sparker review", .origin = "review" };
		memset(o, 0, sizeof(*o));
		rc = sp_inbox_clear_pins(s->db, ib, entity, &by, k, &o->pending, s->err);
	}
	sp_inbox_close(ib);
	sp_lock_release(lock);
	return rc;
}

/* What the screen says of a judgement recorded: "#12", or "P3, pending: a run is in progress". */
static const char *jref(const sp_judgement_out *o, char *buf, size_t n)
{
	if (o->pending)
		snprintf(buf, n, "P%lld, pending: a run is in progress, the next run applies it", (long long)o->pending);
	else
		snprintf(buf, n, "#%lld", (long long)o->id);
	return buf;
}

/* The id an undo step keeps: the judgement written, -P for a pending one, 0 for none. */
static int64_t undo_id(const sp_judgement_out *o)
{
	return o->same ? 0 : o->pending ? -o->pending : o->id;
}

static int undo_refused(screen *s, int64_t id)
{
	if (id >= 0)
		return 0;
	say(s, "cannot undo P%lld yet: it is pending (a run is in progress); remove it after the next run",
	    (long long)-id);
	return 1;
}

static void push(screen *s, size_t at, int64_t id, const char *prev)
{
	size_t cap = s->n ? s->n * 4 : 4;
	if (s->nundo == cap) { /* keep the latest: drop the oldest */
		memmove(s->undo, s->undo + 1, (cap - 1) * sizeof(*s->undo));
		s->nundo--;
	}
	undo_step *u = &s->undo[s->nundo++];
	u->at = at, u->id = id;
	snprintf(u->prev, sizeof(u->prev), "%s", prev);
}

static void step(screen *s, int by)
{
	if (by > 0 && s->at < s->n)
		s->at++;
	else if (by < 0 && s->at > 0)
		s->at--;
}

static int too_small(void)
{
	if (COLS >= MIN_COLS && LINES >= MIN_LINES)
		return 0;
	put(0, 0, "sparker review: the terminal is too small", COLS);
	put(1, 0, "(at least 40 columns and 12 lines); q quits", COLS);
	return 1;
}

static void header(const char *left, const char *right)
{
	attron(A_REVERSE);
	mvhline(0, 0, ' ', COLS);
	put(0, 0, left, COLS);
	int w = 0;
	fit(right, COLS, &w);
	if (w + 2 + (int)strlen(left) < COLS)
		put(0, COLS - w - 1, right, w);
	attroff(A_REVERSE);
}

static void footer(const screen *s, const char *keys, const char *applies)
{
	put(LINES - 3, 0, keys, COLS);
	put(LINES - 2, 0, applies, COLS);
	attron(A_BOLD);
	put(LINES - 1, 0, s->msg, COLS);
	attroff(A_BOLD);
}

static void draw_help(const char *const *lines)
{
	erase();
	header(" sparker review — keys", "");
	int y = 2;
	for (size_t i = 0; lines[i] && y < LINES; i++)
		put(y++, 1, lines[i], COLS - 2);
	if (y + 1 < LINES)
		put(y + 1, 1, "Press any key to go back.", COLS - 2);
	refresh();
}

/* The next key; ERR (the terminal is gone) many times in a row reads as q. */
static int next_key(int *errs)
{
	int ch = getch();
	if (ch != ERR) {
		*errs = 0;
		return ch;
	}
	return ++*errs > 50 ? 'q' : ERR;
}

/* ---------------------------------------------------------------- pairs */

static const char *const PAIR_HELP[] = {
	"s         same company: records a link judgement for the two records",
	"d         different companies: records an apart judgement (kept apart)",
	"u         unsure: records an unsure judgement (the pair leaves the queue)",
	"n, space  skip: the next pair, nothing recorded",
	"p         back to the previous pair",
	"z         undo the last judgement of this session (recorded as a remove)",
	"q         quit",
	"?         these keys",
	"",
	"Judgements apply at the next dedupe run (sparker run --stage dedupe).",
	NULL,
};

static const char *verdict_word(int kind)
{
	return kind == SP_J_LINK ? "same" : kind == SP_J_APART ? "different" : kind == SP_J_UNSURE ? "unsure" : "?";
}

static void side_label(const sp_review_record *x, char *b, size_t n)
{
	if (!x->entity) {
		snprintf(b, n, "in no entity yet");
		return;
	}
	int k = snprintf(b, n, "entity %lld%s", (long long)x->entity, x->qualified ? ", in the selection" : "");
	if (x->scored && k > 0 && (size_t)k < n)
		snprintf(b + k, n - (size_t)k, ", score %.4g", x->score);
}

/* "Evidence: same name, country; differs: city" from the normalised keys. */
static void evidence(const sp_review_pair *p, sp_buf *b)
{
	sp_buf same = SP_BUF_INIT, diff = SP_BUF_INIT;
	for (int f = 0; f < SP_RV_NFIELDS; f++) {
		int ag = sp_review_agree(p, f);
		sp_buf *to = ag == SP_RV_SAME ? &same : ag == SP_RV_DIFFERS ? &diff : NULL;
		if (to)
			sp_buf_addf(to, "%s%s", to->len ? ", " : "", sp_review_field_names[f]);
	}
	sp_buf_addf(b, "Evidence: same %s; differs: %s", same.len ? same.buf : "nothing",
		    diff.len ? diff.buf : "nothing");
	sp_buf_release(&same);
	sp_buf_release(&diff);
}

/* Side by side: label | A | marker | B. Returns the next free line. */
static int draw_pair_wide(const sp_review_pair *p, int y, int bottom)
{
	int cw = (COLS - LABEL_W - 3) / 2, xa = LABEL_W, xm = LABEL_W + cw, xb = xm + 3;
	char b[200];
	attron(A_BOLD);
	put(y, 0, "record", LABEL_W - 1);
	snprintf(b, sizeof(b), "A  %s", p->a.ref);
	put(y, xa, b, cw - 1);
	snprintf(b, sizeof(b), "B  %s", p->b.ref);
	put(y, xb, b, cw - 1);
	attroff(A_BOLD);
	y++;
	put(y, 0, "now", LABEL_W - 1);
	side_label(&p->a, b, sizeof(b));
	put(y, xa, b, cw - 1);
	side_label(&p->b, b, sizeof(b));
	put(y, xb, b, cw - 1);
	mvhline(++y, 0, '-', COLS);
	y++;
	for (int f = 0; f < SP_RV_NFIELDS && y < bottom; f++) {
		int want = f == SP_RV_DESCRIPTION ? 3 : 1, ag = sp_review_agree(p, f);
		if (want > bottom - y)
			want = bottom - y;
		put(y, 0, sp_review_field_names[f], LABEL_W - 1);
		put(y, xm, ag == SP_RV_SAME ? " = " : ag == SP_RV_DIFFERS ? " ! " : " | ", 3);
		int la = put_wrapped(y, xa, or_dash(p->a.show[f]), cw - 1, want);
		int lb = put_wrapped(y, xb, or_dash(p->b.show[f]), cw - 1, want);
		y += la > lb ? la : lb > 0 ? lb : 1;
	}
	return y;
}

/* One record of a stacked pair; marks: the '=' / '!' column (on the second record). */
static int draw_pair_side(const sp_review_pair *p, const sp_review_record *x, const char *tag, int marks, int y,
			  int bottom)
{
	char b[200], lab[120];
	side_label(x, lab, sizeof(lab));
	snprintf(b, sizeof(b), "%s  %s — %s", tag, x->ref, lab);
	attron(A_BOLD);
	put(y++, 0, b, COLS);
	attroff(A_BOLD);
	for (int f = 0; f < SP_RV_NFIELDS && y < bottom; f++) {
		int want = f == SP_RV_DESCRIPTION ? 2 : 1, ag = sp_review_agree(p, f);
		if (want > bottom - y)
			want = bottom - y;
		if (marks)
			put(y, 0, ag == SP_RV_SAME ? "=" : ag == SP_RV_DIFFERS ? "!" : " ", 1);
		put(y, 2, sp_review_field_names[f], LABEL_W - 1);
		int l = put_wrapped(y, LABEL_W + 2, or_dash(x->show[f]), COLS - LABEL_W - 2, want);
		y += l > 0 ? l : 1;
	}
	return y;
}

static void draw_pair(const screen *s, const sp_review_pair *v)
{
	erase();
	if (too_small()) {
		refresh();
		return;
	}
	char left[96], right[64];
	snprintf(left, sizeof(left), " sparker review — pair %zu of %zu", s->at < s->n ? s->at + 1 : s->n, s->n);
	snprintf(right, sizeof(right), "%d judged in this session", s->t->recorded - s->t->undone);
	header(left, right);
	int bottom = LINES - 3, y = 2;
	if (s->at >= s->n) {
		put_wrapped(y, 1, "The end of the queue. z undoes the last judgement, p goes back, q quits.", COLS - 2, 3);
	} else {
		const sp_review_pair *p = &v[s->at];
		sp_buf b = SP_BUF_INIT;
		sp_buf_addf(&b, "Not merged: %s", or_dash(p->reason));
		attron(A_BOLD);
		y += put_wrapped(y, 0, b.buf, COLS, 2);
		attroff(A_BOLD);
		sp_buf_reset(&b);
		if (p->rule)
			sp_buf_addf(&b, "Rule %s refused, score %.2f", p->rule, p->score);
		else
			sp_buf_addf(&b, "No rule took the pair; name similarity %.2f", p->score);
		if (s->mark[s->at] >= 0)
			sp_buf_addf(&b, "   [judged in this session: %s; z undoes it]", verdict_word(s->mark[s->at]));
		put(y++, 0, b.buf, COLS);
		sp_buf_reset(&b);
		evidence(p, &b);
		y += put_wrapped(y, 0, b.buf, COLS, 2);
		sp_buf_release(&b);
		y++;
		if (COLS >= WIDE_COLS) {
			draw_pair_wide(p, y, bottom);
		} else {
			y = draw_pair_side(p, &p->a, "A", 0, y, bottom);
			draw_pair_side(p, &p->b, "B", 1, y < bottom ? y + 1 : y, bottom);
		}
	}
	footer(s, "s same  d different  u unsure  n skip  p back  z undo  q quit  ? keys", APPLIES_DEDUPE);
	refresh();
}

static int judge(screen *s, const sp_review_pair *v, sp_jkind kind)
{
	if (s->at >= s->n) {
		say(s, "the end of the queue: nothing to judge (p goes back)");
		return SP_OK;
	}
	if (s->mark[s->at] >= 0) {
		say(s, "already judged in this session: %s (z undoes it)", verdict_word(s->mark[s->at]));
		return SP_OK;
	}
	const sp_review_pair *p = &v[s->at];
	sp_judgement j = { .kind = kind, .a = p->a.ref, .b = p->b.ref, .user = s->user, .hub = s->hub, .origin = "review" };
	sp_judgement_out o;
	char ref[96];
	int rc = record_locked(s, &j, 0, &o, NULL);
	if (rc != SP_OK)
		return settle(s, rc);
	push(s, s->at, undo_id(&o), "");
	s->mark[s->at] = (signed char)kind;
	if (!o.same)
		s->t->recorded++;
	say(s, "%s: %s %s %s (judgement %s)", o.same ? "already recorded" : "recorded", sp_judgement_kind_names[kind],
	    p->a.ref, p->b.ref, jref(&o, ref, sizeof(ref)));
	s->at++;
	return SP_OK;
}

static int undo_pair(screen *s)
{
	if (!s->nundo) {
		say(s, "nothing to undo in this session");
		return SP_OK;
	}
	if (undo_refused(s, s->undo[s->nundo - 1].id))
		return SP_OK;
	undo_step u = s->undo[--s->nundo];
	if (u.id) {
		sp_judgement j = { .kind = SP_J_REMOVE, .target = u.id, .note = "undone in sparker review", .user = s->user,
				   .hub = s->hub,
				   .origin = "review" };
		sp_judgement_out o;
		char ref[96];
		int rc = record_locked(s, &j, 0, &o, NULL);
		if (rc != SP_OK) {
			s->nundo++;
			return settle(s, rc);
		}
		s->t->undone++;
		say(s, "undone: judgement #%lld removed (remove %s)", (long long)u.id, jref(&o, ref, sizeof(ref)));
	} else {
		say(s, "undone (nothing had been written: the same judgement was in force)");
	}
	s->mark[u.at] = -1;
	s->at = u.at;
	return SP_OK;
}

int sp_review_screen_pairs(sp_store *db, const sp_config *cfg, sp_review_pair *v, size_t n, const char *user,
			   const char *hub, sp_review_tally *t, sp_err *err)
{
	screen s;
	int rc = screen_open(&s, db, cfg, n, user, hub, t, err), done = 0, errs = 0;
	while (rc == SP_OK && !done) {
		if (s.help)
			draw_help(PAIR_HELP);
		else
			draw_pair(&s, v);
		int ch = next_key(&errs);
		if (s.help) {
			s.help = ch == KEY_RESIZE || ch == ERR;
			continue;
		}
		s.msg[0] = 0;
		switch (ch) {
		case 'q': case 'Q': done = 1; break;
		case '?': s.help = 1; break;
		case 'n': case ' ': case KEY_DOWN: case KEY_RIGHT: step(&s, 1); break;
		case 'p': case KEY_UP: case KEY_LEFT: step(&s, -1); break;
		case 's': rc = judge(&s, v, SP_J_LINK); break;
		case 'd': rc = judge(&s, v, SP_J_APART); break;
		case 'u': rc = judge(&s, v, SP_J_UNSURE); break;
		case 'z': rc = undo_pair(&s); break;
		case KEY_RESIZE: case ERR: break;
		default: say(&s, "unknown key; ? shows the keys"); break;
		}
	}
	screen_close(&s);
	return rc;
}

/* ---------------------------------------------------------------- selection */

static const char *const SEL_HELP[] = {
	"i         pin in: the startup is in the selection from the next scoring on",
	"o         pin out: the startup is out of the selection from the next scoring on",
	"c         clear the startup's pin (the score decides again)",
	"n, space  the next startup",
	"p         back to the previous startup",
	"z         undo the last pin of this session (the pin before comes back)",
	"q         quit",
	"?         these keys",
	"",
	"Pins take effect at the next scoring (sparker run --stage score).",
	NULL,
};

/* The list around the cursor, a cut line between the qualified and the others. */
static int draw_sel_list(const screen *s, const sp_review_startup *v, int y, int height)
{
	size_t ncut = 0;
	while (ncut < s->n && v[ncut].qualified)
		ncut++;
	int rows = (int)s->n + 1, cur = (int)(s->at < ncut ? s->at : s->at + 1);
	int first = cur - height / 2;
	if (first > rows - height)
		first = rows - height;
	if (first < 0)
		first = 0;
	attron(A_UNDERLINE);
	put(y++, 0, "   rank      score  pin   entity  name", COLS);
	attroff(A_UNDERLINE);
	char b[240];
	for (int r = first; r < rows && r < first + height; r++, y++) {
		if (r == (int)ncut) {
			put(y, 0, "   ----- the cut: qualified above, not qualified below -----", COLS);
			continue;
		}
		size_t i = r < (int)ncut ? (size_t)r : (size_t)r - 1;
		const sp_review_startup *x = &v[i];
		char sc[24], pin[8];
		snprintf(sc, sizeof(sc), x->scored ? "%.4g" : "-", x->score);
		snprintf(pin, sizeof(pin), "%s%s", x->pin[0] ? x->pin : "-", s->mark[i] >= 0 ? "*" : "");
		snprintf(b, sizeof(b), "%c %5d %10s  %-4s %8lld  %s%s%s%s", i == s->at ? '>' : ' ', x->rank, sc, pin,
			 (long long)x->entity, or_dash(x->name), x->country ? " (" : "", x->country ? x->country : "",
			 x->country ? ")" : "");
		if (i == s->at)
			attron(A_REVERSE);
		put(y, 0, b, COLS);
		if (i == s->at)
			attroff(A_REVERSE);
	}
	return y;
}

static void draw_sel_detail(const screen *s, const sp_review_cohort *c, const sp_review_startup *x, int y, int bottom)
{
	sp_buf b = SP_BUF_INIT;
	sp_buf_addf(&b, "entity %lld: %s%s%s%s", (long long)x->entity, or_dash(x->name), x->country ? " (" : "",
		    x->country ? x->country : "", x->country ? ")" : "");
	attron(A_BOLD);
	put(y++, 0, b.buf, COLS);
	attroff(A_BOLD);
	sp_buf_reset(&b);
	if (x->scored)
		sp_buf_addf(&b, "score %.4g, ", x->score);
	sp_buf_addf(&b, "rank %d in cohort %lld, %s at the last scoring; pin now: %s%s", x->rank, (long long)c->cohort,
		    x->qualified ? "QUALIFIED" : "not qualified", x->pin[0] ? x->pin : "none",
		    s->mark[s->at] >= 0 ? " (changed in this session)" : "");
	y += put_wrapped(y, 0, b.buf, COLS, 2);
	sp_buf_reset(&b);
	sp_buf_addf(&b, "why: %s", or_dash(x->why));
	y += put_wrapped(y, 0, b.buf, COLS, bottom - y > 2 ? 2 : bottom - y);
	sp_buf_reset(&b);
	sp_buf_addf(&b, "domains: %s", or_dash(x->domains));
	if (y < bottom)
		put(y++, 0, b.buf, COLS);
	sp_buf_reset(&b);
	sp_buf_addf(&b, "reasons: %s", or_dash(x->reasons));
	put_wrapped(y, 0, b.buf, COLS, bottom - y);
	sp_buf_release(&b);
}

static void draw_selection(const screen *s, const sp_review_cohort *c, const sp_review_startup *v)
{
	erase();
	if (too_small()) {
		refresh();
		return;
	}
	char left[160], right[64];
	snprintf(left, sizeof(left), " sparker review selection — cohort %lld: %d of %d qualified (band %.3g-%.3g %%%s)",
		 (long long)c->cohort, c->qualified, c->integrated, c->band_min * 100, c->band_max * 100,
		 c->reached ? "" : ", not reached");
	snprintf(right, sizeof(right), "startup %zu of %zu", s->at < s->n ? s->at + 1 : s->n, s->n);
	header(left, right);
	int bottom = LINES - 3, avail = bottom - 3, height = (int)s->n + 1;
	if (height > avail / 2)
		height = avail / 2 > 3 ? avail / 2 : 3;
	int y = draw_sel_list(s, v, 2, height) + 1;
	if (s->at < s->n)
		draw_sel_detail(s, c, &v[s->at], y, bottom);
	else
		put_wrapped(y, 1, "The end of the list. z undoes the last pin, p goes back, q quits.", COLS - 2, 2);
	footer(s, "i pin in  o pin out  c clear pin  n next  p back  z undo  q quit  ? keys", APPLIES_SCORE);
	refresh();
}

/* i, o (value "in"/"out") and c (value NULL): one pin judgement or clear, then the next startup. */
static int pin(screen *s, sp_review_startup *v, const char *value)
{
	if (s->at >= s->n) {
		say(s, "the end of the list: nothing to pin (p goes back)");
		return SP_OK;
	}
	sp_review_startup *x = &v[s->at];
	char prev[4];
	snprintf(prev, sizeof(prev), "%s", x->pin);
	int64_t id = 0;
	int rc;
	if (!value) {
		int k = 0;
		sp_judgement_out o;
		rc = record_locked(s, NULL, x->entity, &o, &k);
		if (rc != SP_OK)
			return settle(s, rc);
		if (o.pending) {
			s->t->recorded++;
			say(s, "pin clear of entity %lld: P%lld, pending (a run is in progress): the next run applies it",
			    (long long)x->entity, (long long)o.pending);
			id = -o.pending;
		} else if (!k) {
			x->pin[0] = 0;
			say(s, "entity %lld carries no pin; nothing to clear", (long long)x->entity);
			return SP_OK;
		}
		s->t->recorded++;
		say(s, "pin cleared: entity %lld", (long long)x->entity);
	} else {
		sp_judgement j = { .kind = SP_J_PIN, .value = value, .entity = x->entity, .user = s->user, .hub = s->hub,
				   .origin = "review" };
		sp_judgement_out o;
		char ref[96];
		if ((rc = record_locked(s, &j, 0, &o, NULL)) != SP_OK)
			return settle(s, rc);
		id = undo_id(&o);
		if (!o.same)
			s->t->recorded++;
		say(s, "%s %s: entity %lld (judgement %s)", o.same ? "already pinned" : "pinned", value,
		    (long long)x->entity, jref(&o, ref, sizeof(ref)));
	}
	push(s, s->at, id, prev);
	snprintf(x->pin, sizeof(x->pin), "%s", value ? value : "");
	s->mark[s->at] = 1;
	step(s, 1);
	return SP_OK;
}

/*
 * Undo the session's last step (there is one), a value judgement (kind SP_J_PIN or SP_J_LABEL)
 * on entity, whose value is current now: the value before comes back (recorded), or the new one
 * is removed. *u is the step undone. Returns 0 when done; -1 when recording failed (the step
 * stays to be undone again; *rc is what settle() made of it).
 */
static int undo_value(screen *s, int kind, int64_t entity, const char *current, undo_step *u, int *rc)
{
	*rc = SP_OK;
	if (!s->undo[s->nundo - 1].prev[0] && undo_refused(s, s->undo[s->nundo - 1].id))
		return -1;
	*u = s->undo[--s->nundo];
	sp_judgement j = { .user = s->user, .hub = s->hub, .origin = "review", .note = "undone in sparker review" };
	if (u->prev[0] && strcmp(u->prev, current))
		j.kind = kind, j.value = u->prev, j.entity = entity;
	else if (!u->prev[0] && u->id)
		j.kind = SP_J_REMOVE, j.target = u->id;
	else
		return 0; /* nothing was written */
	sp_judgement_out o;
	int r = record_locked(s, &j, 0, &o, NULL);
	if (r != SP_OK) {
		s->nundo++;
		*rc = settle(s, r);
		return -1;
	}
	s->t->undone++;
	return 0;
}

/* Undo a pin or clear: the pin before comes back (recorded), or the new pin is removed. */
static int undo_pin(screen *s, sp_review_startup *v)
{
	if (!s->nundo) {
		say(s, "nothing to undo in this session");
		return SP_OK;
	}
	sp_review_startup *x = &v[s->undo[s->nundo - 1].at];
	undo_step u;
	int rc;
	if (undo_value(s, SP_J_PIN, x->entity, x->pin, &u, &rc))
		return rc;
	say(s, "undone: entity %lld %s", (long long)x->entity,
	    u.prev[0] ? (strcmp(u.prev, "in") ? "is pinned out again" : "is pinned in again") : "carries no pin again");
	snprintf(x->pin, sizeof(x->pin), "%s", u.prev);
	s->mark[u.at] = -1;
	s->at = u.at;
	return SP_OK;
}

int sp_review_screen_selection(sp_store *db, const sp_config *cfg, const sp_review_cohort *c, sp_review_startup *v,
			       size_t n,
			       const char *user, const char *hub, sp_review_tally *t, sp_err *err)
{
	screen s;
	int rc = screen_open(&s, db, cfg, n, user, hub, t, err), done = 0, errs = 0;
	while (rc == SP_OK && !done) {
		if (s.help)
			draw_help(SEL_HELP);
		else
			draw_selection(&s, c, v);
		int ch = next_key(&errs);
		if (s.help) {
			s.help = ch == KEY_RESIZE || ch == ERR;
			continue;
		}
		s.msg[0] = 0;
		switch (ch) {
		case 'q': case 'Q': done = 1; break;
		case '?': s.help = 1; break;
		case 'n': case ' ': case KEY_DOWN: step(&s, 1); break;
		case 'p': case KEY_UP: step(&s, -1); break;
		case 'i': rc = pin(&s, v, "in"); break;
		case 'o': rc = pin(&s, v, "out"); break;
		case 'c': rc = pin(&s, v, NULL); break;
		case 'z': rc = undo_pin(&s, v); break;
		case KEY_RESIZE: case ERR: break;
		default: say(&s, "unknown key; ? shows the keys"); break;
		}
	}
	screen_close(&s);
	return rc;
}

/* ---------------------------------------------------------------- audit */

static const char *const AUDIT_HELP[] = {
	"y         relevant: records the label yes on the startup",
	"n         not relevant: records the label no",
	"s, space  skip: the next startup, nothing recorded",
	"p         back to the previous startup",
	"z         undo the last label of this session (the label before comes back)",
	"q         quit",
	"?         these keys",
	"",
	"A label is a judgement on the startup's records; a new one replaces its earlier label.",
	"Labels count at once in `sparker audit estimate`.",
	NULL,
};

static void draw_audit_item(const screen *s, const sp_audit_item *x, int y, int bottom)
{
	sp_buf b = SP_BUF_INIT;
	sp_buf_addf(&b, "%s%s%s%s", or_dash(x->name), x->country ? " (" : "", x->country ? x->country : "",
		    x->country ? ")" : "");
	attron(A_BOLD);
	put(y++, 0, b.buf, COLS);
	attroff(A_BOLD);
	sp_buf_reset(&b);
	if (x->entity)
		sp_buf_addf(&b, "entity %lld, record %s", (long long)x->entity, x->ref);
	else
		sp_buf_addf(&b, "record %s, in no entity now", x->ref);
	put(y++, 0, b.buf, COLS);
	sp_buf_reset(&b);
	sp_buf_addf(&b, "drawn from %s, stratum %s", x->qualified_side ? "the qualified startups" : "the others",
		    or_dash(x->stratum));
	put(y++, 0, b.buf, COLS);
	sp_buf_reset(&b);
	if (x->scored)
		sp_buf_addf(&b, "score %.4g; ", x->score);
	sp_buf_addf(&b, "label now: %s%s", x->label[0] ? x->label : "none",
		    s->mark[s->at] >= 0 ? " (labelled in this session)" : "");
	attron(A_BOLD);
	put(y++, 0, b.buf, COLS);
	attroff(A_BOLD);
	y++;
	sp_buf_reset(&b);
	sp_buf_addf(&b, "why: %s", or_dash(x->why));
	y += put_wrapped(y, 0, b.buf, COLS, bottom - y > 2 ? 2 : bottom - y);
	sp_buf_reset(&b);
	sp_buf_addf(&b, "domains: %s", or_dash(x->domains));
	if (y < bottom)
		put(y++, 0, b.buf, COLS);
	sp_buf_reset(&b);
	sp_buf_addf(&b, "reasons: %s", or_dash(x->reasons));
	put_wrapped(y, 0, b.buf, COLS, bottom - y);
	sp_buf_release(&b);
}

static void draw_audit(const screen *s, int64_t year, const sp_audit_item *v)
{
	erase();
	if (too_small()) {
		refresh();
		return;
	}
	size_t left_n = 0;
	for (size_t i = 0; i < s->n; i++)
		left_n += !v[i].label[0];
	char left[128], right[64];
	snprintf(left, sizeof(left), " sparker review audit — cohort %lld: startup %zu of %zu (%zu without a label)",
		 (long long)year, s->at < s->n ? s->at + 1 : s->n, s->n, left_n);
	snprintf(right, sizeof(right), "%d labelled in this session", s->t->recorded - s->t->undone);
	header(left, right);
	if (s->at < s->n)
		draw_audit_item(s, &v[s->at], 2, LINES - 3);
	else
		put_wrapped(2, 1, "The end of the sample. z undoes the last label, p goes back, q quits.", COLS - 2, 2);
	footer(s, "y relevant  n not relevant  s skip  p back  z undo  q quit  ? keys",
	       "labels count at once in `sparker audit estimate`");
	refresh();
}

/* y, n: one label judgement, then the next startup. */
static int label(screen *s, sp_audit_item *v, const char *value)
{
	if (s->at >= s->n) {
		say(s, "the end of the sample: nothing to label (p goes back)");
		return SP_OK;
	}
	sp_audit_item *x = &v[s->at];
	if (!x->entity) {
		say(s, "not recorded: record %s is in no entity now (see `sparker show %s`)", x->ref, x->ref);
		return SP_OK;
	}
	sp_judgement j = { .kind = SP_J_LABEL, .value = value, .entity = x->entity, .user = s->user, .hub = s->hub,
			   .origin = "review" };
	sp_judgement_out o;
	char ref[96];
	int rc = record_locked(s, &j, 0, &o, NULL);
	if (rc != SP_OK)
		return settle(s, rc);
	if (!o.same)
		s->t->recorded++;
	say(s, "%s %s: entity %lld (judgement %s)", o.same ? "already labelled" : "labelled", value,
	    (long long)x->entity, jref(&o, ref, sizeof(ref)));
	push(s, s->at, undo_id(&o), x->label);
	snprintf(x->label, sizeof(x->label), "%s", value);
	s->mark[s->at] = 1;
	step(s, 1);
	return SP_OK;
}

/* Undo a label: the label before comes back (recorded), or the new label is removed. */
static int undo_label(screen *s, sp_audit_item *v)
{
	if (!s->nundo) {
		say(s, "nothing to undo in this session");
		return SP_OK;
	}
	sp_audit_item *x = &v[s->undo[s->nundo - 1].at];
	undo_step u;
	int rc;
	if (undo_value(s, SP_J_LABEL, x->entity, x->label, &u, &rc))
		return rc;
	say(s, "undone: entity %lld %s%s", (long long)x->entity, u.prev[0] ? "is labelled " : "carries no label again",
	    u.prev);
	snprintf(x->label, sizeof(x->label), "%s", u.prev);
	s->mark[u.at] = -1;
	s->at = u.at;
	return SP_OK;
}

int sp_review_screen_audit(sp_store *db, const sp_config *cfg, int64_t year, sp_audit_item *v, size_t n,
			   const char *user, const char *hub, sp_review_tally *t, sp_err *err)
{
	screen s;
	int rc = screen_open(&s, db, cfg, n, user, hub, t, err), done = 0, errs = 0;
	while (rc == SP_OK && !done) {
		if (s.help)
			draw_help(AUDIT_HELP);
		else
			draw_audit(&s, year, v);
		int ch = next_key(&errs);
		if (s.help) {
			s.help = ch == KEY_RESIZE || ch == ERR;
			continue;
		}
		s.msg[0] = 0;
		switch (ch) {
		case 'q': case 'Q': done = 1; break;
		case '?': s.help = 1; break;
		case 's': case ' ': case KEY_DOWN: step(&s, 1); break;
		case 'p': case KEY_UP: step(&s, -1); break;
		case 'y': rc = label(&s, v, "yes"); break;
		case 'n': rc = label(&s, v, "no"); break;
		case 'z': rc = undo_label(&s, v); break;
		case KEY_RESIZE: case ERR: break;
		default: say(&s, "unknown key; ? shows the keys"); break;
		}
	}
	screen_close(&s);
	return rc;
}

/*
 * pdf.c — libharu helpers. See pdf.h.
 */
#include "reports/pdf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PAGES 4096
#define MAX_COLS 12

struct sp_pdf {
	HPDF_Doc doc;
	HPDF_Font font, bold;
	HPDF_Page pages[MAX_PAGES];
	int npages;
	float y;
	int failed;
	HPDF_STATUS code, detail;
	char *header;
	float tr, tg, tb;
	/* current table */
	sp_pdf_col cols[MAX_COLS];
	int ncols;
	float tsize;
	int in_table;
	int zebra;
};

/*
 * libharu 2.3's UTF-8 Type0 fonts write an encoding CMap as /ToUnicode ("begincidrange"), which
 * poppler rejects with a warning before it falls back. The codes it writes are the Unicode code
 * points of the BMP (2 bytes), so the right ToUnicode is the identity: replace it.
 */
static void fix_tounicode(sp_pdf *p, HPDF_Font font)
{
	HPDF_Dict s = HPDF_DictStream_New(p->doc->mmgr, p->doc->xref);
	if (!s)
		return;
	s->filter = HPDF_STREAM_FILTER_FLATE_DECODE;
	sp_buf b = SP_BUF_INIT;
	sp_buf_adds(&b, "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
			"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
			"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
			"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
	/* 256 ranges (a bfrange may only vary in its last byte), less the 8 of the surrogates */
	int n = 0;
	for (int hi = 0; hi < 256; hi++) {
		if (hi >= 0xD8 && hi <= 0xDF)
			continue;
		if (n % 100 == 0)
			sp_buf_addf(&b, "%s%d beginbfrange\n", n ? "endbfrange\n" : "", 248 - n < 100 ? 248 - n : 100);
		sp_buf_addf(&b, "<%02X00> <%02XFF> <%02X00>\n", hi, hi, hi);
		n++;
	}
	sp_buf_adds(&b, "endbfrange\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
	HPDF_Stream_WriteStr(s->stream, b.buf);
	sp_buf_release(&b);
	HPDF_Dict_Add(font, "ToUnicode", s);
}

static void on_error(HPDF_STATUS code, HPDF_STATUS detail, void *user)
{
	sp_pdf *p = user;
	if (!p->failed) {
		p->failed = 1;
		p->code = code;
		p->detail = detail;
	}
}

char *sp_pdf_clean(const char *s)
{
	sp_buf b = SP_BUF_INIT;
	sp_buf_adds(&b, "");
	if (!s)
		return sp_buf_detach(&b);
	const unsigned char *u = (const unsigned char *)s;
	while (*u) {
		unsigned c = *u;
		int n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
		int ok = n > 0;
		for (int i = 1; ok && i < n; i++)
			if ((u[i] & 0xC0) != 0x80)
				ok = 0;
		if (ok && n == 2 && c < 0xC2)
			ok = 0; /* overlong */
		if (ok && n == 3) {
			unsigned cp = ((c & 0x0F) << 12) | ((u[1] & 0x3F) << 6) | (u[2] & 0x3F);
			if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))
				ok = 0;
		}
		if (ok && n == 4) {
			unsigned cp = ((c & 0x07) << 18) | ((u[1] & 0x3F) << 12);
			if (cp < 0x10000 || cp > 0x10FFFF)
				ok = 0;
		}
		if (!ok) {
			sp_buf_adds(&b, "\xEF\xBF\xBD");
			u++;
			continue;
		}
		if (n == 1 && (c < 0x20 || c == 0x7F))
			sp_buf_addc(&b, ' ');
		else
			sp_buf_add(&b, (const char *)u, (size_t)n);
		u += n;
	}
	return sp_buf_detach(&b);
}

int sp_pdf_new(sp_pdf **out, const char *title, const char *header, int64_t epoch, sp_err *err)
{
	*out = NULL;
	sp_pdf *p = sp_xcalloc(1, sizeof(*p));
	p->doc = HPDF_New(on_error, p);
	if (!p->doc) {
		free(p);
		return sp_err_set(err, SP_ENOMEM, "pdf: cannot create a document");
	}
	HPDF_SetCompressionMode(p->doc, HPDF_COMP_ALL);
	HPDF_UseUTFEncodings(p->doc);
	HPDF_SetCurrentEncoder(p->doc, "UTF-8");
	const char *reg = HPDF_LoadTTFontFromFile(p->doc, SP_PDF_FONT_DIR "/DejaVuSans.ttf", HPDF_TRUE);
	const char *bold = reg ? HPDF_LoadTTFontFromFile(p->doc, SP_PDF_FONT_DIR "/DejaVuSans-Bold.ttf", HPDF_TRUE) : NULL;
	if (reg && bold) {
		p->font = HPDF_GetFont(p->doc, reg, "UTF-8");
		p->bold = HPDF_GetFont(p->doc, bold, "UTF-8");
	}
	if (!p->failed && p->font && p->bold) {
		fix_tounicode(p, p->font);
		fix_tounicode(p, p->bold);
	}
	if (p->failed || !p->font || !p->bold) {
		int rc = sp_err_set(err, SP_EIO, "pdf: cannot load the DejaVuSans fonts from %s (libharu error 0x%04X; install fonts-dejavu-core)",
				    SP_PDF_FONT_DIR, (unsigned)p->code);
		sp_pdf_free(p);
		return rc;
	}
	/* Info dates from the caller's clock (SOURCE_DATE_EPOCH aware), in UTC. */
	time_t t = (time_t)epoch;
	struct tm tm;
	gmtime_r(&t, &tm);
	HPDF_Date d = { tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, 'Z', 0, 0 };
	HPDF_SetInfoDateAttr(p->doc, HPDF_INFO_CREATION_DATE, d);
	HPDF_SetInfoDateAttr(p->doc, HPDF_INFO_MOD_DATE, d);
	char *ct = sp_pdf_clean(title);
	HPDF_SetInfoAttr(p->doc, HPDF_INFO_TITLE, ct);
	free(ct);
	HPDF_SetInfoAttr(p->doc, HPDF_INFO_CREATOR, "sparker " SP_VERSION);
	p->header = sp_pdf_clean(header);
	*out = p;
	return SP_OK;
}

void sp_pdf_free(sp_pdf *p)
{
	if (!p)
		return;
	if (p->doc)
		HPDF_Free(p->doc);
	free(p->header);
	free(p);
}

static HPDF_Font font_of(sp_pdf *p, int bold)
{
	return bold ? p->bold : p->font;
}

float sp_pdf_width(sp_pdf *p, const char *s, float size, int bold)
{
	if (p->failed || !s || !*s)
		return 0;
	HPDF_TextWidth tw = HPDF_Font_TextWidth(font_of(p, bold), (const HPDF_BYTE *)s, (HPDF_UINT)strlen(s));
	return (float)tw.width * size / 1000.0f;
}

static void draw_raw(sp_pdf *p, float x, float y, const char *s, float size, int bold)
{
	if (p->failed || !p->npages || !*s)
		return;
	HPDF_Page pg = p->pages[p->npages - 1];
	HPDF_Page_SetRGBFill(pg, p->tr, p->tg, p->tb);
	HPDF_Page_BeginText(pg);
	HPDF_Page_SetFontAndSize(pg, font_of(p, bold), size);
	HPDF_Page_TextOut(pg, x, y, s);
	HPDF_Page_EndText(pg);
}

/* Length in bytes of the longest prefix of s (whole code points) whose width + suffix fits w. */
static size_t fit_prefix(sp_pdf *p, const char *s, float size, int bold, float w)
{
	size_t len = strlen(s);
	/* binary search over code-point boundaries would be faster; names are short */
	sp_buf b = SP_BUF_INIT;
	size_t best = 0, i = 0;
	while (i < len) {
		size_t j = i + 1;
		while (j < len && ((unsigned char)s[j] & 0xC0) == 0x80)
			j++;
		sp_buf_reset(&b);
		sp_buf_add(&b, s, j);
		if (sp_pdf_width(p, b.buf, size, bold) > w)
			break;
		best = j;
		i = j;
	}
	sp_buf_release(&b);
	return best;
}

void sp_pdf_text_rgb(sp_pdf *p, float r, float g, float b)
{
	p->tr = r, p->tg = g, p->tb = b;
}

char *sp_pdf_fit(sp_pdf *p, const char *s, float size, int bold, float maxw)
{
	char *c = sp_pdf_clean(s);
	if (maxw <= 0 || sp_pdf_width(p, c, size, bold) <= maxw)
		return c;
	const char *ell = "\xE2\x80\xA6"; /* … */
	float ew = sp_pdf_width(p, ell, size, bold);
	size_t n = ew < maxw ? fit_prefix(p, c, size, bold, maxw - ew) : 0;
	while (n > 0 && c[n - 1] == ' ')
		n--;
	sp_buf b = SP_BUF_INIT;
	sp_buf_add(&b, c, n);
	if (ew <= maxw)
		sp_buf_adds(&b, ell);
	sp_buf_adds(&b, "");
	free(c);
	return sp_buf_detach(&b);
}

void sp_pdf_text(sp_pdf *p, float x, float y, const char *s, float size, int bold, int align, float maxw)
{
	char *c = sp_pdf_fit(p, s, size, bold, maxw);
	float w = sp_pdf_width(p, c, size, bold);
	float dx = 0;
	if (maxw > 0)
		dx = align == SP_ALIGN_RIGHT ? maxw - w : align == SP_ALIGN_CENTER ? (maxw - w) / 2 : 0;
	else
		dx = align == SP_ALIGN_RIGHT ? -w : align == SP_ALIGN_CENTER ? -w / 2 : 0;
	draw_raw(p, x + dx, y, c, size, bold);
	free(c);
}

void sp_pdf_page(sp_pdf *p)
{
	if (p->failed || p->npages >= MAX_PAGES)
		return;
	HPDF_Page pg = HPDF_AddPage(p->doc);
	if (!pg)
		return;
	HPDF_Page_SetSize(pg, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
	p->pages[p->npages++] = pg;
	p->y = SP_PDF_TOP;
	if (p->npages > 1 && p->header && *p->header) {
		sp_pdf_text_rgb(p, 0.35f, 0.35f, 0.35f);
		sp_pdf_text(p, SP_PDF_MARGIN, SP_PDF_H - 36, p->header, 8, 0, SP_ALIGN_LEFT, SP_PDF_CONTENT_W);
		sp_pdf_text_rgb(p, 0, 0, 0);
		sp_pdf_line(p, SP_PDF_MARGIN, SP_PDF_H - 41, SP_PDF_W - SP_PDF_MARGIN, SP_PDF_H - 41, 0.5f, 0.6f);
	}
}

int sp_pdf_need(sp_pdf *p, float h)
{
	if (!p->npages || p->y - h < SP_PDF_BOTTOM) {
		sp_pdf_page(p);
		return 1;
	}
	return 0;
}

float sp_pdf_y(const sp_pdf *p) { return p->y; }
void sp_pdf_set_y(sp_pdf *p, float y) { p->y = y; }
void sp_pdf_skip(sp_pdf *p, float h) { p->y -= h; }
static HPDF_Page pdf_hpage(sp_pdf *p) { return p->npages ? p->pages[p->npages - 1] : NULL; }
int sp_pdf_npages(const sp_pdf *p) { return p->npages; }

void sp_pdf_rect(sp_pdf *p, float x, float y, float w, float h, float r, float g, float b)
{
	HPDF_Page pg = pdf_hpage(p);
	if (p->failed || !pg || w <= 0 || h <= 0)
		return;
	HPDF_Page_SetRGBFill(pg, r, g, b);
	HPDF_Page_Rectangle(pg, x, y, w, h);
	HPDF_Page_Fill(pg);
}

void sp_pdf_line(sp_pdf *p, float x0, float y0, float x1, float y1, float width, float gray)
{
	HPDF_Page pg = pdf_hpage(p);
	if (p->failed || !pg)
		return;
	HPDF_Page_SetLineWidth(pg, width);
	HPDF_Page_SetGrayStroke(pg, gray);
	HPDF_Page_MoveTo(pg, x0, y0);
	HPDF_Page_LineTo(pg, x1, y1);
	HPDF_Page_Stroke(pg);
}

/* Wrap s into lines of width w; calls emit for each line. */
static void wrap(sp_pdf *p, const char *s, float size, int bold, float w, void (*emit)(sp_pdf *, const char *, void *),
		 void *user)
{
	sp_buf line = SP_BUF_INIT, word = SP_BUF_INIT, trial = SP_BUF_INIT;
	const char *q = s;
	for (;;) {
		while (*q == ' ')
			q++;
		if (!*q)
			break;
		const char *e = q;
		while (*e && *e != ' ')
			e++;
		sp_buf_reset(&word);
		sp_buf_add(&word, q, (size_t)(e - q));
		q = e;
		sp_buf_reset(&trial);
		if (line.len)
			sp_buf_addf(&trial, "%s %s", line.buf, word.buf);
		else
			sp_buf_adds(&trial, word.buf);
		if (sp_pdf_width(p, trial.buf, size, bold) <= w) {
			sp_buf_reset(&line);
			sp_buf_adds(&line, trial.buf);
			continue;
		}
		if (line.len) {
			emit(p, line.buf, user);
			sp_buf_reset(&line);
		}
		/* a word wider than the line (a URL, a long compound): cut it after its last separator
		 * ('/', '.', '-', '_', '?', '&', '@') that fits, else at a code point */
		const char *wp = word.buf;
		while (sp_pdf_width(p, wp, size, bold) > w) {
			size_t n = fit_prefix(p, wp, size, bold, w);
			for (size_t k = n; k > n / 3 && k > 1; k--)
				if (strchr("/.-_?&@", wp[k - 1])) {
					n = k;
					break;
				}
			if (!n) { /* not even one glyph fits: emit one code point */
				n = 1;
				while (wp[n] && ((unsigned char)wp[n] & 0xC0) == 0x80)
					n++;
			}
			sp_buf_reset(&trial);
			sp_buf_add(&trial, wp, n);
			emit(p, trial.buf, user);
			wp += n;
		}
		sp_buf_adds(&line, wp);
	}
	if (line.len)
		emit(p, line.buf, user);
	sp_buf_release(&line);
	sp_buf_release(&word);
	sp_buf_release(&trial);
}

struct para_state {
	float x, size;
	int bold;
};

static void emit_para(sp_pdf *p, const char *line, void *user)
{
	struct para_state *st = user;
	float lh = st->size * 1.35f;
	sp_pdf_need(p, lh);
	p->y -= lh;
	sp_pdf_text(p, st->x, p->y + lh * 0.25f, line, st->size, st->bold, SP_ALIGN_LEFT, 0);
}

void sp_pdf_para(sp_pdf *p, float x, float w, const char *s, float size, int bold)
{
	char *c = sp_pdf_clean(s);
	struct para_state st = { x, size, bold };
	wrap(p, c, size, bold, w, emit_para, &st);
	free(c);
}

void sp_pdf_heading(sp_pdf *p, const char *s, int level, float keep)
{
	float size = level == 1 ? 15 : 11.5f;
	float before = level == 1 ? 6 : 10;
	if (!sp_pdf_need(p, before + size * 1.6f + keep))
		p->y -= before;
	p->y -= size * 1.3f;
	sp_pdf_text_rgb(p, 0.08f, 0.20f, 0.42f);
	sp_pdf_text(p, SP_PDF_MARGIN, p->y, s, size, 1, SP_ALIGN_LEFT, SP_PDF_CONTENT_W);
	sp_pdf_text_rgb(p, 0, 0, 0);
	if (level == 1)
		sp_pdf_line(p, SP_PDF_MARGIN, p->y - 4, SP_PDF_W - SP_PDF_MARGIN, p->y - 4, 0.8f, 0.3f);
	p->y -= level == 1 ? 12 : 6;
}

/* ---- tables -------------------------------------------------------------------------------- */

static float row_h(const sp_pdf *p)
{
	return p->tsize * 1.6f;
}

struct lines {
	char **v;
	int n;
};

static void emit_line(sp_pdf *p, const char *line, void *user)
{
	(void)p;
	struct lines *l = user;
	l->v = sp_xrealloc(l->v, sizeof(char *) * (size_t)(l->n + 1));
	l->v[l->n++] = sp_xstrdup(line);
}

/* The header row: titles wrapped over as many lines as they need, never cut. */
static void table_header(sp_pdf *p)
{
	struct lines tl[MAX_COLS];
	int maxl = 1;
	for (int i = 0; i < p->ncols; i++) {
		tl[i].v = NULL, tl[i].n = 0;
		char *t = sp_pdf_clean(p->cols[i].title);
		wrap(p, t, p->tsize, 1, p->cols[i].width - 6, emit_line, &tl[i]);
		free(t);
		if (tl[i].n > maxl)
			maxl = tl[i].n;
	}
	float lh = p->tsize * 1.2f;
	float h = row_h(p) + 2 + lh * (float)(maxl - 1);
	float x = SP_PDF_MARGIN, tw = 0;
	for (int i = 0; i < p->ncols; i++)
		tw += p->cols[i].width;
	sp_pdf_rect(p, x, p->y - h, tw, h, 0.86f, 0.89f, 0.94f);
	for (int i = 0; i < p->ncols; i++) {
		const sp_pdf_col *c = &p->cols[i];
		/* bottom-aligned: the last line of every title on the same baseline */
		for (int k = 0; k < tl[i].n; k++) {
			float yy = p->y - h + (row_h(p) + 2) * 0.32f + lh * (float)(tl[i].n - 1 - k);
			sp_pdf_text(p, x + 3, yy, tl[i].v[k], p->tsize, 1, c->align, c->width - 6);
			free(tl[i].v[k]);
		}
		free(tl[i].v);
		x += c->width;
	}
	p->y -= h;
	p->zebra = 0;
}

void sp_pdf_table_begin(sp_pdf *p, const sp_pdf_col *cols, int ncols, float size)
{
	if (ncols > MAX_COLS)
		ncols = MAX_COLS;
	memcpy(p->cols, cols, sizeof(*cols) * (size_t)ncols);
	p->ncols = ncols;
	p->tsize = size;
	p->in_table = 1;
	sp_pdf_need(p, 3 * row_h(p) + 2);
	table_header(p);
}

/* line (freed) ended with "…" within w, cut after a whole word (mid-word only for one long word). */
static char *word_ellipsis(sp_pdf *p, char *line, int bold, float w)
{
	sp_buf b = SP_BUF_INIT;
	sp_buf_adds(&b, line);
	for (;;) {
		sp_buf t = SP_BUF_INIT;
		sp_buf_addf(&t, "%s\xE2\x80\xA6", b.buf);
		if (sp_pdf_width(p, t.buf, p->tsize, bold) <= w || !strchr(b.buf, ' ')) {
			sp_buf_release(&b);
			free(line);
			if (sp_pdf_width(p, t.buf, p->tsize, bold) > w) { /* one word: cut it */
				char *c = sp_pdf_fit(p, t.buf, p->tsize, bold, w);
				sp_buf_release(&t);
				return c;
			}
			return sp_buf_detach(&t);
		}
		sp_buf_release(&t);
		char *sp = strrchr(b.buf, ' ');
		b.len = (size_t)(sp - b.buf);
		b.buf[b.len] = 0;
		while (b.len && strchr(",;:", b.buf[b.len - 1]))
			b.buf[--b.len] = 0;
	}
}

static void table_cells(sp_pdf *p, const char *const *cells, int bold)
{
	struct lines cl[MAX_COLS];
	int maxl = 1;
	float lh = p->tsize * 1.2f;
	for (int i = 0; i < p->ncols; i++) {
		cl[i].v = NULL, cl[i].n = 0;
		const sp_pdf_col *c = &p->cols[i];
		int lines = c->lines > 1 ? c->lines : SP_PDF_WRAP_LINES;
		if (!cells[i] || !*cells[i] || sp_pdf_width(p, cells[i], p->tsize, bold) <= c->width - 6)
			continue; /* fits on one line */
		char *t = sp_pdf_clean(cells[i]);
		wrap(p, t, p->tsize, bold, c->width - 6, emit_line, &cl[i]);
		free(t);
		if (cl[i].n > lines) { /* keep `lines` lines; the last ends with "…" after a whole word */
			for (int k = lines; k < cl[i].n; k++)
				free(cl[i].v[k]);
			cl[i].n = lines;
			cl[i].v[lines - 1] = word_ellipsis(p, cl[i].v[lines - 1], bold, c->width - 6);
		}
		if (cl[i].n > maxl)
			maxl = cl[i].n;
	}
	float h = row_h(p) + lh * (float)(maxl - 1);
	if (sp_pdf_need(p, h))
		table_header(p);
	float x = SP_PDF_MARGIN, tw = 0;
	for (int i = 0; i < p->ncols; i++)
		tw += p->cols[i].width;
	if (p->zebra++ % 2 == 1 && !bold)
		sp_pdf_rect(p, x, p->y - h, tw, h, 0.96f, 0.96f, 0.97f);
	if (bold)
		sp_pdf_line(p, x, p->y, x + tw, p->y, 0.6f, 0.3f);
	float first = p->y - row_h(p) + row_h(p) * 0.3f;
	for (int i = 0; i < p->ncols; i++) {
		const sp_pdf_col *c = &p->cols[i];
		if (cl[i].n) {
			for (int k = 0; k < cl[i].n; k++) {
				sp_pdf_text(p, x + 3, first - lh * (float)k, cl[i].v[k], p->tsize, bold, c->align, c->width - 6);
				free(cl[i].v[k]);
			}
			free(cl[i].v);
		} else {
			sp_pdf_text(p, x + 3, first, cells[i] ? cells[i] : "", p->tsize, bold, c->align, c->width - 6);
		}
		x += c->width;
	}
	p->y -= h;
}

void sp_pdf_table_row(sp_pdf *p, const char *const *cells)
{
	table_cells(p, cells, 0);
}

void sp_pdf_table_total(sp_pdf *p, const char *const *cells)
{
	table_cells(p, cells, 1);
}

void sp_pdf_table_end(sp_pdf *p)
{
	p->in_table = 0;
	p->y -= 6;
}

int sp_pdf_save(sp_pdf *p, const char *path, sp_err *err)
{
	char buf[64];
	int n = p->npages;
	for (int i = 1; i < n && !p->failed; i++) { /* the cover carries no footer */
		HPDF_Page save = p->pages[p->npages - 1];
		p->pages[p->npages - 1] = p->pages[i];
		snprintf(buf, sizeof(buf), "page %d of %d", i + 1, n);
		sp_pdf_line(p, SP_PDF_MARGIN, 42, SP_PDF_W - SP_PDF_MARGIN, 42, 0.5f, 0.6f);
		sp_pdf_text_rgb(p, 0.35f, 0.35f, 0.35f);
		sp_pdf_text(p, SP_PDF_W - SP_PDF_MARGIN, 30, buf, 8, 0, SP_ALIGN_RIGHT, 0);
		sp_pdf_text(p, SP_PDF_MARGIN, 30, "sparker " SP_VERSION, 8, 0, SP_ALIGN_LEFT, 0);
		sp_pdf_text_rgb(p, 0, 0, 0);
		p->pages[p->npages - 1] = save;
	}
	if (!p->failed) {
		HPDF_STATUS st = HPDF_SaveToFile(p->doc, path);
		if (st != HPDF_OK && !p->failed) {
			p->failed = 1;
			p->code = st;
		}
	}
	if (p->failed)
		return sp_err_set(err, SP_EIO, "pdf: libharu error 0x%04X (detail %u) writing %s", (unsigned)p->code,
				  (unsigned)p->detail, path);
	return SP_OK;
}

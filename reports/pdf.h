/*
 * pdf.h — libharu helpers for the report: an A4 document with an embedded UTF-8 TrueType font,
 * a vertical cursor that flows onto new pages, text that never overflows its box (ellipsis or
 * word wrap), and tables whose header row repeats on every page they run onto.
 *
 * What it does: sp_pdf_new() creates the document (DejaVuSans and DejaVuSans-Bold from
 * SP_PDF_FONT_DIR, embedded, encoding "UTF-8"), with the info dates taken from the epoch the
 * caller passes (sp_now(), which honours SOURCE_DATE_EPOCH), and nothing else that varies between
 * runs: libharu 2.3 writes no /ID and no random data, so the same calls give the same bytes.
 * Pages are A4 portrait; content goes between SP_PDF_MARGIN and the running header/footer.
 * sp_pdf_save() draws every page's footer ("page n of N") and writes the file.
 *
 * Text: every string is cleaned first (invalid UTF-8 bytes become U+FFFD, control characters
 * become spaces), so data from sources cannot break the document. Ellipsis and wrapping cut at
 * code-point boundaries.
 *
 * Ownership: sp_pdf owns the HPDF_Doc; sp_pdf_free(NULL) is a no-op.
 *
 * Failure: libharu errors are caught by an error handler that records the first one; drawing
 * calls after an error do nothing and sp_pdf_save() returns SP_EIO with libharu's code in err.
 */
#ifndef SP_PDF_H_INCLUDED
#define SP_PDF_H_INCLUDED

#include <hpdf.h>

#include "core/common.h"

#ifndef SP_PDF_FONT_DIR
#define SP_PDF_FONT_DIR "/usr/share/fonts/truetype/dejavu"
#endif

#define SP_PDF_W 595.276f
#define SP_PDF_H 841.89f
#define SP_PDF_MARGIN 50.0f
#define SP_PDF_TOP (SP_PDF_H - 62.0f)   /* below the running header */
#define SP_PDF_BOTTOM 56.0f             /* above the footer */
#define SP_PDF_CONTENT_W (SP_PDF_W - 2 * SP_PDF_MARGIN)

enum { SP_ALIGN_LEFT = 0, SP_ALIGN_RIGHT = 1, SP_ALIGN_CENTER = 2 };

typedef struct sp_pdf sp_pdf;

/* title/subject go into the document info and the running header (title) of pages after the first. */
int sp_pdf_new(sp_pdf **out, const char *title, const char *header, int64_t epoch, sp_err *err);
void sp_pdf_free(sp_pdf *p);
/* Footers on every page, then write path. */
int sp_pdf_save(sp_pdf *p, const char *path, sp_err *err);

/* Start a new page; the cursor goes to the top of the content area. */
void sp_pdf_page(sp_pdf *p);
/* Make sure h points are left above the bottom margin; start a new page when not. Returns 1 if it did. */
int sp_pdf_need(sp_pdf *p, float h);
float sp_pdf_y(const sp_pdf *p);
void sp_pdf_set_y(sp_pdf *p, float y);
void sp_pdf_skip(sp_pdf *p, float h);
int sp_pdf_npages(const sp_pdf *p);

/* Width of s in points. */
float sp_pdf_width(sp_pdf *p, const char *s, float size, int bold);
/* s cleaned and, when wider than maxw (> 0), cut at a code point and ended with "…" so that it
 * fits maxw; caller frees. */
char *sp_pdf_fit(sp_pdf *p, const char *s, float size, int bold, float maxw);
/* One line at (x, baseline y). maxw > 0: ellipsised to fit maxw (align relative to the box
 * x..x+maxw for RIGHT/CENTER; without maxw, x is the right edge / centre). */
void sp_pdf_text(sp_pdf *p, float x, float y, const char *s, float size, int bold, int align, float maxw);
void sp_pdf_text_rgb(sp_pdf *p, float r, float g, float b);  /* colour for following text (default black) */
/* Wrapped paragraph at the cursor, from x over width w; advances the cursor; flows across pages. */
void sp_pdf_para(sp_pdf *p, float x, float w, const char *s, float size, int bold);
/* A section heading (level 1 or 2) at the cursor; keeps at least `keep` points with it. */
void sp_pdf_heading(sp_pdf *p, const char *s, int level, float keep);

/* Rectangles and lines (colours 0..1). */
void sp_pdf_rect(sp_pdf *p, float x, float y, float w, float h, float r, float g, float b);
void sp_pdf_line(sp_pdf *p, float x0, float y0, float x1, float y1, float width, float gray);

/* Tables. Column widths must add up to at most SP_PDF_CONTENT_W. A cell wider than its column
 * wraps (at spaces, a long word after '/', '.', '-'...) over up to `lines` lines
 * (SP_PDF_WRAP_LINES when lines <= 1); beyond that its last line ends with "…" after a whole
 * word. Header titles wrap over as many lines as they need. A row never splits across pages and
 * the header row is repeated on each new page. */
#define SP_PDF_WRAP_LINES 4
typedef struct sp_pdf_col {
	const char *title;
	float width;
	int align;
	int lines; /* > 1: wrap the cell over up to this many lines; else up to SP_PDF_WRAP_LINES */
} sp_pdf_col;
void sp_pdf_table_begin(sp_pdf *p, const sp_pdf_col *cols, int ncols, float size);
void sp_pdf_table_row(sp_pdf *p, const char *const *cells);
/* A row in bold with a rule above it (totals). */
void sp_pdf_table_total(sp_pdf *p, const char *const *cells);
void sp_pdf_table_end(sp_pdf *p);

/* Clean a string for the PDF (see above); caller frees. NULL gives "". */
char *sp_pdf_clean(const char *s);

#endif

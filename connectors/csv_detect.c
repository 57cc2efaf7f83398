/*
 * csv_detect.c — which encoding a CSV file read without `encoding =` is in: UTF-8, or one of the
 * two 8-bit code pages real exports come in (Excel on Windows: Windows-1252; old Macs: Mac
 * Roman). PRIVATE to the CSV reader (declared in csv_reader_int.h).
 *
 * What it does: sp_csvdetect_file() reads a sample from the start of the file (through
 * archive.h, so zip and gzip too, with a stream of its own: the reader's stream still starts at
 * byte 0), SAMPLE_CHUNK bytes at a time, until SAMPLE_EVENTS non-ASCII sequences were seen,
 * SAMPLE_MAX bytes were read, or the file ended. It counts the valid multi-byte UTF-8
 * sequences (m) and the runs of bytes that start no valid sequence (b):
 *   b = 0           UTF-8 (a pure ASCII sample too);
 *   m >= b          UTF-8 with broken rows: read as UTF-8, those rows rejected "invalid UTF-8";
 *   otherwise       an 8-bit code page: every byte outside a valid sequence is scored as a
 *                   Windows-1252 and as a Mac Roman character, with its neighbours: a lower-case
 *                   letter next to a letter scores, a capital right after a lower-case letter
 *                   ("CafÈ"), a symbol (†, ≠, ∞, √, ◊...) or an undefined byte costs; the better
 *                   total wins, a tie goes to Windows-1252 (by far the commoner).
 * A sample with no non-ASCII byte in its first SAMPLE_MAX bytes says UTF-8: a file whose first
 * accented letter comes later is read as UTF-8 and such rows are rejected, as before; setting
 * `encoding =` in the source is the way out, and always overrides the detection.
 *
 * Why tables and iconv: the score has to know what each byte means in each code page, so the
 * two 128-entry class tables below live here; the conversion itself is glibc's iconv in
 * csv_reader.c, the path an explicit `encoding =` takes, so a detected file reads exactly as the
 * same file with `encoding = windows-1252` (or mac-roman) would.
 *
 * Invariants: memory is one SAMPLE_CHUNK buffer, whatever the file. Failure: the stream's own
 * codes and messages (the file cannot be opened, read or unpacked).
 */
#include <stdlib.h>
#include <string.h>

#include "connectors/csv_reader_int.h"

#define SAMPLE_CHUNK (1024 * 1024)
#define SAMPLE_MAX (16 * 1024 * 1024)
#define SAMPLE_EVENTS 512

/*
 * Classes of the bytes 0x80..0xFF in each code page: L lower-case letter, l a rare one (š ž œ ÿ ð
 * þ ı ﬁ ﬂ), U capital, u a rare one (Š Ž Œ Ÿ Ð Þ), Q quotation mark (‘ ’ “ ” „ ‚ « »), P other
 * punctuation and signs text uses (dashes, …, •, €, £, °, ©, no-break space...), S symbols text
 * seldom uses (math, daggers, spacing accents, ‰, ¶, Apple's logo), X undefined. Generated from
 * Python's cp1252 and mac_roman codecs and unicodedata (the categories, with the lists above).
 */
static const char CLASS_CP1252[129] =
	"PXQSQPSSSSuSuXuXXQQQQPPPSPlSlXlu"
	"PPPPSPSPSPPQSSPSPSSSSSSPSSPQSSSP"
	"UUUUUUUUUUUUUUUUuUUUUUUSUUUUUUuL"
	"LLLLLLLLLLLLLLLLlLLLLLLSLLLLLLll";
static const char CLASS_MACROMAN[129] =
	"UUUUUUULLLLLLLLLLLLLLLLLLLLLLLLL"
	"SPPPPPSLPPPSSSUUSSSSPSSSSLSPPULL"
	"PPSSSSSQQPPUUUulPPQQQQSSluSPSSll"
	"SPQQSUUUUUUUUUUUSUUUUlSSSSSSSSSS";
#define APOS_CP1252 0x92   /* ’ */
#define APOS_MACROMAN 0xD5

typedef struct page {
	const char *cls;
	unsigned char apos;
	long score;
} page;

typedef struct tally {
	long multi, bad, events;
	int in_bad;  /* the byte before was a bad one */
	page cp[2]; /* Windows-1252, Mac Roman */
} tally;

/* The class of byte c in page p; ASCII: 'a' lower-case letter, 'A' capital, ' ' anything else. */
static char cls_of(const page *p, unsigned char c)
{
	if (c < 0x80)
		return c >= 'a' && c <= 'z' ? 'a' : c >= 'A' && c <= 'Z' ? 'A' : ' ';
	return p->cls[c - 0x80];
}

static int letter(char k)
{
	return k && strchr("aALlUu", k) != NULL;
}

static int lower(char k)
{
	return k == 'a' || k == 'L' || k == 'l';
}

/*
 * Score byte s[i] (outside any valid UTF-8 sequence) as a character of page p, with its
 * neighbours: a letter next to letters scores (a common one more); a lower-case letter alone
 * before a capital ("ìQuoted") or a capital right after a lower-case letter ("CafÈ") costs; a
 * quotation mark at a word's edge, or ’ inside a word (L’Oréal), scores like a letter; symbols
 * and undefined bytes cost.
 */
static void score_byte(page *p, const unsigned char *s, size_t n, size_t i)
{
	char k = cls_of(p, s[i]);
	char prev = i > 0 ? cls_of(p, s[i - 1]) : ' ', next = i + 1 < n ? cls_of(p, s[i + 1]) : ' ';
	int near = letter(prev) || letter(next);
	switch (k) {
	case 'L':
	case 'l':
		if ((next == 'A' || next == 'U' || next == 'u') && !letter(prev))
			p->score -= 1;
		else
			p->score += near && k == 'L' ? 2 : 1;
		break;
	case 'U':
	case 'u': p->score += lower(prev) ? -2 : near && k == 'U' ? 1 : 0; break;
	case 'Q':
		p->score += letter(prev) != letter(next) || (s[i] == p->apos && letter(prev) && letter(next)) ? 2 : 1;
		break;
	case 'P': p->score += 1; break;
	case 'S': p->score -= 2; break;
	default: p->score -= 5; break; /* undefined */
	}
}

/* Length of the valid UTF-8 sequence at s[0..n), 0 when it is not one, -1 when it is cut short
 * by the end of the buffer (and could still be valid). */
static int utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	int len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
	if (!len)
		return 0;
	unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
	unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
	for (int k = 1; k < len; k++) {
		if ((size_t)k >= n)
			return -1;
		unsigned char b = s[k];
		if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF))
			return 0;
	}
	return len;
}

/* Count and score s[0..n); returns the bytes consumed (a sequence cut by the end is left for
 * the next chunk unless at_end). */
static size_t scan(tally *t, const unsigned char *s, size_t n, int at_end)
{
	size_t i = 0;
	while (i < n) {
		if (s[i] < 0x80) {
			t->in_bad = 0;
			i++;
			continue;
		}
		int len = utf8_seq(s + i, n - i);
		if (len < 0 && !at_end)
			break;
		t->events++;
		if (len > 0) {
			t->in_bad = 0;
			t->multi++;
			i += (size_t)len;
			continue;
		}
		if (!t->in_bad)
			t->bad++; /* a run of bad bytes (a surrogate, a cut sequence) counts once */
		t->in_bad = 1;
		score_byte(&t->cp[0], s, n, i);
		score_byte(&t->cp[1], s, n, i);
		i++;
	}
	return i;
}

int sp_csvdetect_file(const char *path, const sp_csv_opts *o, const char **iconv_name, const char **shown, sp_err *err)
{
	*iconv_name = *shown = NULL;
	sp_stream *st;
	int rc = sp_stream_open(path, o->want_ext ? o->want_ext : ".csv", o->max_bytes, &st, err);
	if (rc < 0)
		return rc;
	tally t = { 0, 0, 0, 0, { { CLASS_CP1252, APOS_CP1252, 0 }, { CLASS_MACROMAN, APOS_MACROMAN, 0 } } };
	unsigned char *buf = sp_xmalloc(SAMPLE_CHUNK + 4);
	size_t carry = 0, total = 0;
	while (total < SAMPLE_MAX && t.events < SAMPLE_EVENTS) {
		ssize_t got = sp_stream_read(st, (char *)buf + carry, SAMPLE_CHUNK, err);
		if (got < 0) {
			rc = (int)got;
			break;
		}
		size_t n = carry + (size_t)got;
		size_t used = scan(&t, buf, n, got == 0);
		carry = n - used; /* at most 3 bytes of a cut sequence */
		memmove(buf, buf + used, carry);
		total += (size_t)got;
		if (got == 0)
			break;
	}
	free(buf);
	sp_stream_close(st);
	if (rc < 0)
		return rc;
	if (t.bad > 0 && t.multi < t.bad) {
		int mac = t.cp[1].score > t.cp[0].score;
		*iconv_name = mac ? "MACINTOSH" : "WINDOWS-1252";
		*shown = mac ? "mac-roman" : "windows-1252";
	}
	return SP_OK;
}

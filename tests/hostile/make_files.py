#!/usr/bin/env python3
"""make_files.py — writes the small hostile inputs committed under tests/hostile/files/ (rerun it
to regenerate them; deterministic). Big ones (100 MB field, a million columns, 1 GB of white
space, bombs) are made at test time by the tests themselves, never committed."""
import io, os, sys, zipfile, gzip

D = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files")
os.makedirs(D, exist_ok=True)

def w(name, data):
    with open(os.path.join(D, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

CH_COLS = ("CompanyName, CompanyNumber,RegAddress.CareOf,RegAddress.POBox,RegAddress.AddressLine1, RegAddress.AddressLine2,"
           "RegAddress.PostTown,RegAddress.County,RegAddress.Country,RegAddress.PostCode,CompanyCategory,CompanyStatus,"
           "CountryOfOrigin,DissolutionDate,IncorporationDate,Accounts.AccountRefDay,Accounts.AccountRefMonth,"
           "Accounts.NextDueDate,Accounts.LastMadeUpDate,Accounts.AccountCategory,Returns.NextDueDate,Returns.LastMadeUpDate,"
           "Mortgages.NumMortCharges,Mortgages.NumMortOutstanding,Mortgages.NumMortPartSatisfied,Mortgages.NumMortSatisfied,"
           "SICCode.SicText_1,SICCode.SicText_2,SICCode.SicText_3,SICCode.SicText_4,LimitedPartnerships.NumGenPartners,"
           "LimitedPartnerships.NumLimPartners,URI").split(",")
for i in range(1, 11):
    CH_COLS += ["PreviousName_%d.CONDATE" % i, " PreviousName_%d.CompanyName" % i]
CH_COLS += ["ConfStmtNextDueDate", " ConfStmtLastMadeUpDate"]

def ch_row(name, num, inc="14/06/2020", sic="62012 - Business and domestic software development", status="Active"):
    r = [name, num, "", "", "1 HIGH STREET", "", "LONDON", "", "UNITED KINGDOM", "AB1 2CD", "Private Limited Company",
         status, "United Kingdom", "", inc, "31", "12", "", "", "", "", "", "0", "0", "0", "0", sic, "", "", "",
         "0", "0", "http://business.data.gov.uk/id/company/" + num] + [""] * 20 + ["", ""]
    return r

def zi(name, mode=None):
    """A ZipInfo with a fixed date, so the committed archives are byte-for-byte reproducible."""
    z = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    z.compress_type = zipfile.ZIP_DEFLATED
    if mode is not None:
        z.external_attr = mode << 16
    return z


def q(v):
    return '"' + v.replace('"', '""') + '"'

def ch(rows, eol="\n", bom=False):
    s = ",".join(q(c) for c in CH_COLS) + eol
    s += "".join(",".join(q(v) for v in r) + eol for r in rows)
    return (b"\xef\xbb\xbf" if bom else b"") + s.encode("utf-8", "surrogateescape")

def build():
    # invalid UTF-8: overlong, lone continuation, truncated sequence, surrogate, 0xFF
    bad = [b"BAD \xc0\xaf LTD", b"BAD \x80\x80 LTD", b"BAD \xe2\x82 LTD", b"BAD \xed\xa0\x80 LTD", b"\xff\xfe LTD"]
    rows = [ch_row("GOOD %d LIMITED" % i, "%08d" % (90000000 + i)) for i in range(3)]
    data = ch(rows)
    for i, b in enumerate(bad):
        data += b",".join(q(v).encode() if j else b'"' + b + b'"' for j, v in enumerate(ch_row("X", "%08d" % (91000000 + i)))) + b"\n"
    w("csv_invalid_utf8.csv", data)

    # NUL bytes inside quoted and unquoted fields, and a row of NULs
    data = ch(rows)
    data += b'"NUL\x00INSIDE LTD","09100001"' + b',""' * 53 + b"\n"
    data += b'NUL\x00BARE LTD,09100002' + b',' * 53 + b"\n"
    data += b"\x00" * 200 + b"\n"
    data += ch([ch_row("AFTER NUL LIMITED", "09100003")]).split(b"\n", 1)[1]
    w("csv_nul.csv", data)

    # mixed line ends: LF, CRLF, lone CR, and a quoted field with embedded CR LF
    lines = [",".join(q(c) for c in CH_COLS)] + [",".join(q(v) for v in ch_row("MIXED %d LIMITED" % i, "%08d" % (92000000 + i))) for i in range(6)]
    eols = ["\n", "\r\n", "\r", "\r\n", "\n", "\r", "\n"]
    s = "".join(l + e for l, e in zip(lines, eols))
    s += ",".join(q(v) for v in ch_row("EMBEDDED\r\nNEWLINE\rLIMITED", "92000099")) + "\r\n"
    w("csv_mixed_eol.csv", s)

    # BOM before the header
    w("csv_bom.csv", ch([ch_row("BOM %d LIMITED" % i, "%08d" % (93000000 + i)) for i in range(3)], bom=True))

    # impossible and zero dates
    w("csv_dates.csv", ch([ch_row("FEB THIRTY ONE LIMITED", "94000001", inc="31/02/2024"),
                          ch_row("ZERO DATE LIMITED", "94000002", inc="00/00/0000"),
                          ch_row("LEAP DAY LIMITED", "94000003", inc="29/02/2024"),
                          ch_row("NOT LEAP LIMITED", "94000004", inc="29/02/2023"),
                          ch_row("MONTH THIRTEEN LIMITED", "94000005", inc="01/13/2020"),
                          ch_row("HUGE YEAR LIMITED", "94000006", inc="01/01/99999999999999999999"),
                          ch_row("NEGATIVE LIMITED", "94000007", inc="-1/-1/-2020")]))

    # names of only punctuation / symbols / white space
    w("csv_punct_names.csv", ch([ch_row(n, "%08d" % (95000000 + i)) for i, n in enumerate(
        ["...", "!!!", "-", "& & &", "LTD", "LIMITED", "( )", "\u00a0\u2003", "\u200b\u200d", "''", "\"\"", ". LTD .", "\u2014\u2014", "\U0001F600\U0001F680"])]))

    # RSS with invalid UTF-8 and NULs
    w("xml_rss_bad_bytes.xml", b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>t</title>\n'
      b'<item><title>Bad \xc0\xaf bytes</title><link>https://bad.example.com</link><guid>b1</guid></item>\n'
      b'<item><title>NUL \x00 inside</title><link>https://nul.example.com</link><guid>b2</guid></item>\n'
      b'<item><title>Good after</title><link>https://good.example.com</link><guid>b3</guid></item>\n</channel></rss>\n')

    # GLEIF record with external entity via parameter entity + external DTD on loopback (port replaced by tests)
    w("xml_gleif_xxe_param.xml", '<?xml version="1.0"?>\n<!DOCTYPE lei:LEIData SYSTEM "http://127.0.0.1:PORT/evil.dtd" [\n'
      '  <!ENTITY % remote SYSTEM "http://127.0.0.1:PORT/param.dtd">\n  %remote;\n  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
      '<lei:LEIData xmlns:lei="http://www.gleif.org/data/schema/leidata/2016"><lei:LEIRecords>\n'
      '<lei:LEIRecord><lei:LEI>5299000J2N45DDNE4Y28</lei:LEI><lei:Entity><lei:LegalName>Leak &xxe;</lei:LegalName>'
      '<lei:LegalAddress><lei:City>&xxe;</lei:City><lei:Country>GB</lei:Country></lei:LegalAddress>'
      '<lei:EntityStatus>ACTIVE</lei:EntityStatus></lei:Entity></lei:LEIRecord>\n</lei:LEIRecords></lei:LEIData>\n')

    # quadratic blowup: one entity of 50 KB referenced 50,000 times (no nesting)
    big = "A" * 50000
    w("xml_quadratic.xml", '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "%s">]>\n<rss version="2.0"><channel><title>q</title>'
      '<item><title>%s</title><guid>q1</guid></item></channel></rss>\n' % (big, "&a;" * 50000))

    # zip slip: entries named ../, absolute, and a symlink entry
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        good = ch([ch_row("SLIP %d LIMITED" % i, "%08d" % (96000000 + i)) for i in range(2)])
        z.writestr(zi("../../../../tmp/sparker-zipslip-evil.csv"), good)
        z.writestr(zi("/tmp/sparker-zipslip-abs.csv"), good)
        z.writestr(zi("../sparker-zipslip-link.csv", 0o120777), "/etc/passwd")
    w("zip_slip.zip", buf.getvalue())

    # truncated zip: a good archive cut in half, and one cut inside the central directory
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zi("BasicCompanyData.csv"), ch([ch_row("TRUNC %d LIMITED" % i, "%08d" % (97000000 + i)) for i in range(400)]))
    zb = buf.getvalue()
    w("zip_truncated_half.zip", zb[: len(zb) // 2])
    w("zip_truncated_cd.zip", zb[:-10])
    # gzip cut in the middle
    w("gz_truncated.csv.gz", gzip.compress(ch([ch_row("GZ %d LIMITED" % i, "%08d" % (98000000 + i)) for i in range(400)]), mtime=0)[:3000])
    # deep nesting: 100,000 levels of JSON arrays inside the items array, and of XML elements
    w("json_deep.json", '{"data":[' + "[" * 100000 + "]" * 100000 + ',{"id":"ok1","name":"After Deep"}]}\n')
    w("xml_deep.xml", '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>d</title><item><title>'
      + "<b>" * 100000 + "x" + "</b>" * 100000 + '</title><guid>d1</guid></item>'
      '<item><title>After Deep</title><guid>d2</guid></item></channel></rss>\n')
    print("wrote", len(os.listdir(D)), "files into", D)


if __name__ == "__main__":
    build()

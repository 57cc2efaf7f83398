#!/usr/bin/env python3
"""gen_registry.py — registry-shaped benchmark inputs of any size, deterministic for a seed,
streamed (constant memory). python3, stdlib only.

  gen_registry.py ch ROWS OUT.csv       Companies House BasicCompanyData: the real 55-column
                                        header (leading spaces kept), every field quoted,
                                        dd/mm/yyyy dates, "62012 - ..." SIC texts, previous names
  gen_registry.py sirene ROWS OUT.csv   INSEE StockUniteLegale (33 columns), NAF "62.01Z", sole
                                        traders without denomination
  gen_registry.py gleif RECORDS OUT.xml GLEIF LEI-CDF 2.1 golden copy, RA000585/RA000189 links
  [--seed N] (default 1)

The mix is registry-like so pushdown filters do real work: incorporation years spread over
1950..2025 (about a fifth in the last 10 years), about 10 % dissolved/liquidation, one company
in five in an IT/automotive SIC class. Row size is close to the real file (about 430 bytes per
Companies House row).
"""
import random, sys

CH_COLS = ("CompanyName, CompanyNumber,RegAddress.CareOf,RegAddress.POBox,RegAddress.AddressLine1, RegAddress.AddressLine2,"
           "RegAddress.PostTown,RegAddress.County,RegAddress.Country,RegAddress.PostCode,CompanyCategory,CompanyStatus,"
           "CountryOfOrigin,DissolutionDate,IncorporationDate,Accounts.AccountRefDay,Accounts.AccountRefMonth,"
           "Accounts.NextDueDate,Accounts.LastMadeUpDate,Accounts.AccountCategory,Returns.NextDueDate,Returns.LastMadeUpDate,"
           "Mortgages.NumMortCharges,Mortgages.NumMortOutstanding,Mortgages.NumMortPartSatisfied,Mortgages.NumMortSatisfied,"
           "SICCode.SicText_1,SICCode.SicText_2,SICCode.SicText_3,SICCode.SicText_4,LimitedPartnerships.NumGenPartners,"
           "LimitedPartnerships.NumLimPartners,URI").split(",")
for _i in range(1, 11):
    CH_COLS += ["PreviousName_%d.CONDATE" % _i, " PreviousName_%d.CompanyName" % _i]
CH_COLS += ["ConfStmtNextDueDate", " ConfStmtLastMadeUpDate"]

SIC_IN = ["62012 - Business and domestic software development", "62020 - Information technology consultancy activities",
          "62090 - Other information technology service activities", "63120 - Web portals",
          "29100 - Manufacture of motor vehicles", "45200 - Maintenance and repair of motor vehicles",
          "72190 - Other research and experimental development on natural sciences and engineering"]
SIC_OUT = ["68209 - Other letting and operating of own or leased real estate", "70229 - Management consultancy activities other than financial management",
           "56101 - Licensed restaurants", "41100 - Development of building projects", "96020 - Hairdressing and other beauty treatment",
           "82990 - Other business support service activities n.e.c.", "43390 - Other building completion and finishing",
           "99999 - Dormant Company", "None Supplied", "64209 - Activities of other holding companies n.e.c."]
STATUS = ["Active"] * 16 + ["Active - Proposal to Strike off", "Liquidation", "Dissolved", "In Administration"]
TOWNS = ["LONDON", "MANCHESTER", "BIRMINGHAM", "LEEDS", "GLASGOW", "SHEFFIELD", "BRISTOL", "CARDIFF", "EDINBURGH",
         "BELFAST", "LIVERPOOL", "NOTTINGHAM", "LEICESTER", "COVENTRY", "READING", "MILTON KEYNES", "ST. LEONARDS-ON-SEA"]
COUNTIES = ["", "", "GREATER LONDON", "WEST MIDLANDS", "WEST YORKSHIRE", "LANCASHIRE", "KENT", "ESSEX"]
WORDS = ["ACME", "VOLT", "NORTH", "BLUE", "DIGITAL", "MOTOR", "GREEN", "SOFT", "AUTO", "CLOUD", "QUANTUM", "BRIDGE",
         "APEX", "NOVA", "PRIME", "ATLAS", "EVER", "SWIFT", "BRIGHT", "SILVER", "OAK", "RIVER", "STONE", "PEAK",
         "FUSION", "ORBIT", "PIXEL", "VECTOR", "LOGIC", "MERIDIAN", "HARBOUR", "CROWN", "FALCON", "LUNAR", "SOLAR"]
SUFFIX = ["LIMITED"] * 8 + ["LTD", "PLC", "LLP", "SERVICES LIMITED", "HOLDINGS LIMITED", "TECHNOLOGIES LTD"]
CATS = ["Private Limited Company"] * 9 + ["PRI/LTD BY GUAR/NSC (Private, limited by guarantee, no share capital)",
                                          "Limited Liability Partnership", "Public Limited Company"]
ACC = ["MICRO ENTITY", "TOTAL EXEMPTION FULL", "DORMANT", "SMALL", "NO ACCOUNTS FILED", "FULL", "UNAUDITED ABRIDGED"]


def q(v):
    return '"' + v.replace('"', '""') + '"' if '"' in v else '"' + v + '"'


def year(rng):
    r = rng.random()
    if r < 0.2:
        return rng.randint(2016, 2025)
    return rng.randint(1950, 2015)


def ch(n, out, rng):
    w = out.write
    w(",".join('"%s"' % c for c in CH_COLS) + "\n")
    for i in range(1, n + 1):
        num = "%08d" % i if i % 13 else "SC%06d" % (i % 1000000)
        y = year(rng)
        inc = "%02d/%02d/%04d" % (rng.randint(1, 28), rng.randint(1, 12), y)
        status = rng.choice(STATUS)
        diss = "%02d/%02d/%04d" % (rng.randint(1, 28), rng.randint(1, 12), min(2025, y + rng.randint(1, 20))) if status == "Dissolved" else ""
        k = rng.randint(1, 4)
        pool = SIC_IN if rng.random() < 0.2 else SIC_OUT
        sics = [rng.choice(pool) for _ in range(k)] + [""] * (4 - k)
        town = rng.choice(TOWNS)
        name = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3))) + " %d %s" % (i, rng.choice(SUFFIX))
        prev = ["", ""] * 10
        if i % 7 == 0:
            prev[0] = "%02d/%02d/%04d" % (rng.randint(1, 28), rng.randint(1, 12), min(2024, y + 1))
            prev[1] = "OLD %s %d LTD" % (rng.choice(WORDS), i)
        r = [name, num, "", "", "%d %s ROAD" % (rng.randint(1, 400), rng.choice(WORDS)), rng.choice(["", "UNIT %d" % rng.randint(1, 40)]),
             town, rng.choice(COUNTIES), "UNITED KINGDOM", "%s%d %d%s" % (town[:2], rng.randint(1, 99), rng.randint(1, 9), "AB"),
             rng.choice(CATS), status, "United Kingdom", diss, inc, "31", str(rng.randint(1, 12)),
             "30/09/2026", "31/12/2024", rng.choice(ACC), "", "", "0", "0", "0", "0"] + sics + \
            ["0", "0", "http://business.data.gov.uk/id/company/" + num] + prev + ["01/01/2026", "01/01/2025"]
        w(",".join(q(v) for v in r) + "\n")


SIRENE_COLS = ("siren,statutDiffusionUniteLegale,unitePurgeeUniteLegale,dateCreationUniteLegale,sigleUniteLegale,"
               "sexeUniteLegale,prenom1UniteLegale,prenom2UniteLegale,prenom3UniteLegale,prenom4UniteLegale,"
               "prenomUsuelUniteLegale,pseudonymeUniteLegale,identifiantAssociationUniteLegale,trancheEffectifsUniteLegale,"
               "anneeEffectifsUniteLegale,dateDernierTraitementUniteLegale,nombrePeriodesUniteLegale,categorieEntreprise,"
               "anneeCategorieEntreprise,dateDebut,etatAdministratifUniteLegale,nomUniteLegale,nomUsageUniteLegale,"
               "denominationUniteLegale,denominationUsuelle1UniteLegale,denominationUsuelle2UniteLegale,"
               "denominationUsuelle3UniteLegale,categorieJuridiqueUniteLegale,activitePrincipaleUniteLegale,"
               "nomenclatureActivitePrincipaleUniteLegale,nicSiegeUniteLegale,economieSocialeSolidaireUniteLegale,"
               "caractereEmployeurUniteLegale")
NAF_IN = ["62.01Z", "62.02A", "62.09Z", "63.12Z", "29.10Z", "45.20A", "72.19Z"]
NAF_OUT = ["68.20B", "70.22Z", "56.10A", "41.10A", "96.02A", "82.99Z", "43.39Z", "64.20Z", "86.21Z", "47.11F"]
FR_WORDS = ["ÉNERGIE", "SOLUTIONS", "CONSEIL", "INNOVATION", "MOBILITÉ", "NUMÉRIQUE", "ATELIER", "GROUPE", "VOLTIQ",
            "AZUR", "LUMIÈRE", "HORIZON", "CITÉ", "BRETAGNE", "ALPES", "RHÔNE", "DELTA", "OMÉGA"]
NOMS = ["MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY", "MOREAU"]
PRENOMS = ["JEAN", "MARIE", "PIERRE", "SOPHIE", "LUC", "CLAIRE", "PAUL", "ANNE"]


def sirene(n, out, rng):
    w = out.write
    w(SIRENE_COLS + "\n")
    for i in range(1, n + 1):
        siren = "%09d" % (300000000 + i * 7)
        y = year(rng)
        created = "%04d-%02d-%02d" % (y, rng.randint(1, 12), rng.randint(1, 28))
        etat = "A" if rng.random() < 0.85 else "C"
        naf = rng.choice(NAF_IN if rng.random() < 0.2 else NAF_OUT)
        if rng.random() < 0.35:  # sole trader
            r = [siren, "O", "", created, "", rng.choice("MF"), rng.choice(PRENOMS), "", "", "", rng.choice(PRENOMS), "", "",
                 "NN", "", "2024-03-01T10:00:00", "1", "PME", "2022", created, etat, rng.choice(NOMS), "", "", "", "", "",
                 "1000", naf, "NAFRev2", "%05d" % rng.randint(1, 99999), "N", "N"]
        else:
            den = " ".join(rng.choice(FR_WORDS) for _ in range(rng.randint(1, 3))) + " %d" % i
            r = [siren, "O", "", created, "", "", "", "", "", "", "", "", "", rng.choice(["01", "02", "03", "11", "NN"]), "2023",
                 "2024-03-01T10:00:00", str(rng.randint(1, 5)), "PME", "2022", created, etat, "", "", den, "", "", "",
                 rng.choice(["5710", "5499", "5720", "5599"]), naf, "NAFRev2", "%05d" % rng.randint(1, 99999), "N", "O"]
        w(",".join(('"%s"' % v.replace('"', '""')) if ("," in v or '"' in v) else v for v in r) + "\n")


def gleif(n, out, rng):
    w = out.write
    w('<?xml version="1.0" encoding="UTF-8"?>\n<lei:LEIData xmlns:lei="http://www.gleif.org/data/schema/leidata/2016" '
      'xmlns:gleif="http://www.gleif.org/data/schema/golden-copy/extensions/1.0">\n'
      '<lei:Header><lei:ContentDate>2025-12-31T08:00:00Z</lei:ContentDate><lei:RecordCount>%d</lei:RecordCount></lei:Header>\n'
      '<lei:LEIRecords>\n' % n)
    for i in range(1, n + 1):
        lei = "5299%014dXX" % i
        cc = rng.choice(["GB", "FR", "DE", "US", "NL", "IT", "ES", "JP"])
        ra, raid = ("RA000585", "%08d" % i) if cc == "GB" else (("RA000189", "%09d" % (300000000 + i * 7)) if cc == "FR" else ("RA999999", "X%d" % i))
        y = year(rng)
        status = "ACTIVE" if rng.random() < 0.9 else "INACTIVE"
        name = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3))).title() + " %d %s" % (i, rng.choice(["Ltd", "GmbH", "SAS", "B.V.", "Inc.", "S.p.A."]))
        w('<lei:LEIRecord><lei:LEI>%s</lei:LEI><lei:Entity><lei:LegalName xml:lang="en">%s</lei:LegalName>'
          '<lei:LegalAddress xml:lang="en"><lei:FirstAddressLine>%d Main Street</lei:FirstAddressLine><lei:City>%s</lei:City>'
          '<lei:Country>%s</lei:Country><lei:PostalCode>%05d</lei:PostalCode></lei:LegalAddress>'
          '<lei:HeadquartersAddress xml:lang="en"><lei:FirstAddressLine>%d Main Street</lei:FirstAddressLine><lei:City>%s</lei:City>'
          '<lei:Country>%s</lei:Country></lei:HeadquartersAddress>'
          '<lei:RegistrationAuthority><lei:RegistrationAuthorityID>%s</lei:RegistrationAuthorityID>'
          '<lei:RegistrationAuthorityEntityID>%s</lei:RegistrationAuthorityEntityID></lei:RegistrationAuthority>'
          '<lei:LegalJurisdiction>%s</lei:LegalJurisdiction><lei:EntityCategory>GENERAL</lei:EntityCategory>'
          '<lei:LegalForm><lei:EntityLegalFormCode>8888</lei:EntityLegalFormCode></lei:LegalForm>'
          '<lei:EntityStatus>%s</lei:EntityStatus><lei:EntityCreationDate>%04d-%02d-%02dT00:00:00Z</lei:EntityCreationDate>'
          '</lei:Entity><lei:Registration><lei:InitialRegistrationDate>2019-01-01T00:00:00Z</lei:InitialRegistrationDate>'
          '<lei:LastUpdateDate>2025-06-01T00:00:00Z</lei:LastUpdateDate><lei:RegistrationStatus>ISSUED</lei:RegistrationStatus>'
          '<lei:NextRenewalDate>2026-01-01T00:00:00Z</lei:NextRenewalDate><lei:ManagingLOU>5299000J2N45DDNE4Y28</lei:ManagingLOU>'
          '<lei:ValidationSources>FULLY_CORROBORATED</lei:ValidationSources></lei:Registration></lei:LEIRecord>\n'
          % (lei, name.replace("&", "&amp;"), rng.randint(1, 400), rng.choice(TOWNS).title(), cc, rng.randint(1, 99999),
             rng.randint(1, 400), rng.choice(TOWNS).title(), cc, ra, raid, cc, status, y, rng.randint(1, 12), rng.randint(1, 28)))
    w("</lei:LEIRecords>\n</lei:LEIData>\n")


def main():
    a = sys.argv[1:]
    seed = 1
    if "--seed" in a:
        k = a.index("--seed"); seed = int(a[k + 1]); del a[k:k + 2]
    if len(a) != 3 or a[0] not in ("ch", "sirene", "gleif"):
        sys.exit(__doc__)
    rng = random.Random(seed)
    with open(a[2], "w", encoding="utf-8", newline="", buffering=1 << 20) as out:
        {"ch": ch, "sirene": sirene, "gleif": gleif}[a[0]](int(a[1]), out, rng)


if __name__ == "__main__":
    main()

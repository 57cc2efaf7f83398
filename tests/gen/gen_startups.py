#!/usr/bin/env python3
"""
gen_startups.py — sparker's labelled multi-source startup generator (python3, stdlib only).

What it does: invents N true startups (names from word parts, accents where the country has them,
countries on every continent, cities, websites, founding dates, a sector), then renders each one
into a random subset of sources, the way real sources disagree: typos, legal-suffix changes
(SAS / S.A.S. / Ltd / Limited / GmbH / Inc.), accents dropped, upper-case registry names,
abbreviations (Technologies / Tech), www/http/https and path variants of the website, ISO3 vs ISO2
vs country names, dd/mm/yyyy vs ISO dates. It adds hard negatives (the same name in another
country, near-identical names of different companies in one country, shared incubator addresses,
websites on shared hosts), registry noise (old, dissolved, non-startup companies, sole traders) so
the pushdown filters have work, and a few malformed rows per file so rejects show up.

Usage:
  gen_startups.py --out DIR --n N --seed S [--years 2024,2025]
                  [--formats rss,atom,rdf,crunchbase,companies_house,sirene,gleif,json]
                  [--noise F]   (registry noise rows per registry, as a fraction of N; default 0.4)

Output (only the files of the formats asked for, plus the labels):
  feed_rss.xml        RSS 2.0 startup directory: title = name, link = website, guid (the key),
                      <category domain="country">, <category domain="city">, sector categories,
                      description, pubDate spread over the years
  feed_atom.xml       Atom 1.0: <id> (the key), link rel=alternate = website, published/updated,
                      <category scheme="country"|"city"|"sector" term=...>, summary
  feed_rdf.xml        RSS 1.0 (RDF): a national feed (Germany only: use country = DE in the
                      config); rdf:about (the key), link = website, dc:date, dc:subject
  crunchbase.csv      uuid,name,homepage_url,domain,country_code(ISO3),city,category_list,
                      short_description,founded_on,status
  companies_house.csv BasicCompanyData: the real 55-column header (leading spaces kept), every
                      field quoted, dd/mm/yyyy, "62012 - Business and domestic software development"
  sirene.csv          StockUniteLegale columns; NAF like 62.01Z; sole traders without denomination
  gleif.xml           LEI-CDF 2.1; UK companies carry RA000585 + company number, French ones
                      RA000189 + SIREN
  api_page1.json, api_page2.json
                      {"data":[{...}], "links":{"next":"api_page2.json"}} (page 2: next null)
  truth.csv           source_file,source_key,true_id,relevant,domain — one row per rendered record
                      (malformed rows excluded); relevant = 1 when the company's true sector is in
                      the programme's taxonomy; domain = that taxonomy domain (empty otherwise)
  malformed.csv       source_file,source_key,defect — the deliberately broken rows
  startups.csv        one row per true company (startups and registry noise): the ground truth
                      behind truth.csv (cohort year, sector, hard-negative links)

Determinism: everything comes from one random.Random(seed); the same arguments give
byte-identical files. No clock, no environment.
"""
import argparse
import csv
import io
import json
import os
import random
import sys
import unicodedata
from xml.sax.saxutils import escape, quoteattr

# The last year of the data (max of --years): registry dates, GLEIF content date and the like
# are drawn up to it. Set by main().
H = 2025

ALL_FORMATS = ["rss", "atom", "rdf", "crunchbase", "companies_house", "sirene", "gleif", "json"]

# ---------------------------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------------------------

# iso2, iso3, English name, native name, weight, cities [(native, english)], tld, legal forms
COUNTRIES = [
    ("FR", "FRA", "France", "France", 14,
     [("Paris", "Paris"), ("Lyon", "Lyon"), ("Marseille", "Marseille"), ("Toulouse", "Toulouse"),
      ("Nantes", "Nantes"), ("Bordeaux", "Bordeaux"), ("Lille", "Lille"), ("Grenoble", "Grenoble"),
      ("Saint-Étienne", "Saint-Etienne"), ("Orléans", "Orleans"), ("Clermont-Ferrand", "Clermont-Ferrand")],
     "fr", ["SAS", "SAS", "SARL", "SA", "SASU"]),
    ("GB", "GBR", "United Kingdom", "United Kingdom", 14,
     [("London", "London"), ("Manchester", "Manchester"), ("Birmingham", "Birmingham"),
      ("Bristol", "Bristol"), ("Edinburgh", "Edinburgh"), ("Leeds", "Leeds"),
      ("Cambridge", "Cambridge"), ("Oxford", "Oxford"), ("Coventry", "Coventry")],
     "co.uk", ["Ltd"]),
    ("DE", "DEU", "Germany", "Deutschland", 10,
     [("Berlin", "Berlin"), ("München", "Munich"), ("Köln", "Cologne"), ("Düsseldorf", "Dusseldorf"),
      ("Stuttgart", "Stuttgart"), ("Hamburg", "Hamburg"), ("Nürnberg", "Nuremberg"),
      ("Wolfsburg", "Wolfsburg")],
     "de", ["GmbH", "GmbH", "UG (haftungsbeschränkt)", "AG"]),
    ("ES", "ESP", "Spain", "España", 5,
     [("Madrid", "Madrid"), ("Barcelona", "Barcelona"), ("València", "Valencia"), ("Málaga", "Malaga"),
      ("Bilbao", "Bilbao"), ("Sevilla", "Seville"), ("A Coruña", "A Coruna")],
     "es", ["S.L."]),
    ("PT", "PRT", "Portugal", "Portugal", 3,
     [("Lisboa", "Lisbon"), ("Porto", "Porto"), ("Braga", "Braga"), ("Évora", "Evora")],
     "pt", ["Lda."]),
    ("SE", "SWE", "Sweden", "Sverige", 3,
     [("Stockholm", "Stockholm"), ("Göteborg", "Gothenburg"), ("Malmö", "Malmo"), ("Linköping", "Linkoping")],
     "se", ["AB"]),
    ("CZ", "CZE", "Czechia", "Česko", 2,
     [("Praha", "Prague"), ("Brno", "Brno"), ("Plzeň", "Plzen"), ("Mladá Boleslav", "Mlada Boleslav")],
     "cz", ["s.r.o."]),
    ("CH", "CHE", "Switzerland", "Schweiz", 2,
     [("Zürich", "Zurich"), ("Genève", "Geneva"), ("Lausanne", "Lausanne"), ("Basel", "Basel")],
     "ch", ["AG", "GmbH", "SA"]),
    ("IT", "ITA", "Italy", "Italia", 4,
     [("Milano", "Milan"), ("Torino", "Turin"), ("Roma", "Rome"), ("Bologna", "Bologna")],
     "it", ["S.r.l.", "S.p.A."]),
    ("NL", "NLD", "Netherlands", "Nederland", 3,
     [("Amsterdam", "Amsterdam"), ("Rotterdam", "Rotterdam"), ("Eindhoven", "Eindhoven"), ("Delft", "Delft")],
     "nl", ["B.V."]),
    ("US", "USA", "United States", "United States", 13,
     [("San Francisco", "San Francisco"), ("New York", "New York"), ("Boston", "Boston"),
      ("Austin", "Austin"), ("Detroit", "Detroit"), ("Seattle", "Seattle"), ("Palo Alto", "Palo Alto")],
     "com", ["Inc.", "Inc.", "LLC", "Corp."]),
    ("CA", "CAN", "Canada", "Canada", 2,
     [("Toronto", "Toronto"), ("Montréal", "Montreal"), ("Vancouver", "Vancouver")], "ca", ["Inc."]),
    ("BR", "BRA", "Brazil", "Brasil", 3,
     [("São Paulo", "Sao Paulo"), ("Rio de Janeiro", "Rio de Janeiro"), ("Belo Horizonte", "Belo Horizonte"),
      ("Florianópolis", "Florianopolis")], "com.br", ["Ltda."]),
    ("MX", "MEX", "Mexico", "México", 1,
     [("Ciudad de México", "Mexico City"), ("Monterrey", "Monterrey")], "mx", ["S.A. de C.V."]),
    ("IN", "IND", "India", "India", 5,
     [("Bengaluru", "Bangalore"), ("Mumbai", "Mumbai"), ("Pune", "Pune"), ("Chennai", "Chennai")],
     "in", ["Pvt. Ltd."]),
    ("JP", "JPN", "Japan", "Japan", 3,
     [("Tokyo", "Tokyo"), ("Osaka", "Osaka"), ("Nagoya", "Nagoya")], "jp", ["K.K."]),
    ("CN", "CHN", "China", "China", 3,
     [("Shenzhen", "Shenzhen"), ("Shanghai", "Shanghai"), ("Hangzhou", "Hangzhou")], "cn", ["Co., Ltd."]),
    ("KR", "KOR", "South Korea", "South Korea", 2, [("Seoul", "Seoul"), ("Busan", "Busan")], "kr", ["Co., Ltd."]),
    ("SG", "SGP", "Singapore", "Singapore", 2, [("Singapore", "Singapore")], "sg", ["Pte. Ltd."]),
    ("IL", "ISR", "Israel", "Israel", 2, [("Tel Aviv", "Tel Aviv"), ("Haifa", "Haifa")], "co.il", ["Ltd"]),
    ("NG", "NGA", "Nigeria", "Nigeria", 1, [("Lagos", "Lagos"), ("Abuja", "Abuja")], "ng", ["Ltd"]),
    ("KE", "KEN", "Kenya", "Kenya", 1, [("Nairobi", "Nairobi")], "co.ke", ["Ltd"]),
    ("ZA", "ZAF", "South Africa", "South Africa", 1,
     [("Cape Town", "Cape Town"), ("Johannesburg", "Johannesburg")], "co.za", ["(Pty) Ltd"]),
    ("MA", "MAR", "Morocco", "Maroc", 1, [("Casablanca", "Casablanca"), ("Rabat", "Rabat")], "ma", ["SARL"]),
    ("AU", "AUS", "Australia", "Australia", 2, [("Sydney", "Sydney"), ("Melbourne", "Melbourne")],
     "com.au", ["Pty Ltd"]),
]
COUNTRY = {c[0]: c for c in COUNTRIES}

# How each canonical legal form may be written.
LEGAL_VARIANTS = {
    "SAS": ["SAS", "S.A.S.", "SAS", "sas"], "SASU": ["SASU", "S.A.S.U."], "SARL": ["SARL", "S.A.R.L.", "Sarl"],
    "SA": ["SA", "S.A."], "Ltd": ["Ltd", "Ltd.", "Limited", "LTD"], "GmbH": ["GmbH", "GMBH", "Gmbh"],
    "UG (haftungsbeschränkt)": ["UG (haftungsbeschränkt)", "UG", "UG (haftungsbeschraenkt)"],
    "AG": ["AG"], "S.L.": ["S.L.", "SL"], "Lda.": ["Lda.", "Lda"], "AB": ["AB"],
    "s.r.o.": ["s.r.o.", "s. r. o.", "S.R.O."], "S.r.l.": ["S.r.l.", "Srl", "SRL"], "S.p.A.": ["S.p.A.", "SpA"],
    "B.V.": ["B.V.", "BV"], "Inc.": ["Inc.", "Inc", "Incorporated"], "LLC": ["LLC", "L.L.C."],
    "Corp.": ["Corp.", "Corporation"], "Ltda.": ["Ltda.", "Ltda"], "S.A. de C.V.": ["S.A. de C.V.", "SA de CV"],
    "Pvt. Ltd.": ["Pvt. Ltd.", "Private Limited", "Pvt Ltd"], "K.K.": ["K.K.", "Kabushiki Kaisha"],
    "Co., Ltd.": ["Co., Ltd.", "Co. Ltd"], "Pte. Ltd.": ["Pte. Ltd.", "Pte Ltd"],
    "(Pty) Ltd": ["(Pty) Ltd", "Pty Ltd"], "Pty Ltd": ["Pty Ltd", "Pty. Ltd."],
}
SIRENE_CJ = {"SAS": "5710", "SASU": "5720", "SARL": "5499", "SA": "5599"}

PREFIXES = ["Volt", "Elec", "Ampe", "Kine", "Moto", "Auto", "Driv", "Flo", "Nexa", "Zen", "Lumi", "Sola",
            "Aero", "Tork", "Revo", "Cyb", "Dat", "Quan", "Hexa", "Vel", "Orbi", "Nav", "Ro", "Axi",
            "Pix", "Synap", "Cogn", "Verd", "Terr", "Nutr", "Med", "Vit", "Styl", "Hab", "Dom", "Fin",
            "Lex", "Ed", "Tal", "Kar", "Mob", "Cir", "Pol", "Sen", "Tek", "Grav", "Lin", "Mag", "Neo",
            "Opt", "Plu", "Rad", "Sig", "Tri", "Ul", "Vor", "Wat", "Xel", "Yar", "Zephy", "Bri", "Cal",
            "Dyn", "Equi", "Fer", "Gal", "Hel", "Ion", "Jov", "Kyr", "Lox", "Mir", "Nov", "Oc", "Pyr",
            "Qub", "Ryd", "Sel", "Tav", "Umb", "Vex", "Wel", "Zor", "Bal", "Cor", "Dar", "Ess", "Fal"]
ENDINGS = ["iq", "ly", "io", "ra", "on", "ix", "um", "ex", "ova", "ia", "eo", "ica", "ora", "yn", "is",
           "o", "ar", "en", "us", "ena", "ent", "ity", "ai", "ek", "al", "ium", "ara", "ite", "ana", "oz"]

# Descriptor words by language, used after the brand ("Voltiq Énergie").
DESCRIPTORS = {
    "en": ["Energy", "Mobility", "Labs", "Technologies", "Systems", "Robotics", "Analytics", "Solutions",
           "Motors", "Networks", "Health", "Foods", "Studio", "Ventures", "International", "Digital"],
    "fr": ["Énergie", "Mobilité", "Technologies", "Solutions", "Systèmes", "Réseaux", "Santé", "Numérique"],
    "de": ["Energie", "Mobilität", "Technik", "Systeme", "Technologies", "Lösungen", "Gesundheit"],
    "es": ["Energía", "Movilidad", "Tecnologías", "Soluciones", "Sistemas"],
    "pt": ["Energia", "Mobilidade", "Tecnologia", "Soluções", "Sistemas"],
    "sv": ["Energi", "Mobilitet", "Teknik", "System"],
    "cs": ["Energie", "Mobilita", "Technologie", "Systémy"],
}
LANG = {"FR": "fr", "DE": "de", "CH": "de", "ES": "es", "MX": "es", "PT": "pt", "BR": "pt", "SE": "sv",
        "CZ": "cs", "MA": "fr"}
ABBREV = {"Technologies": "Tech", "Technology": "Tech", "International": "Intl", "Systems": "Sys",
          "Tecnologías": "Tech", "Technik": "Tech"}

# UK SIC 2007 codes used here, with their official text.
SIC = {
    "62012": "Business and domestic software development",
    "62020": "Information technology consultancy activities",
    "62090": "Other information technology service activities",
    "63110": "Data processing, hosting and related activities",
    "63120": "Web portals",
    "58290": "Other software publishing",
    "27110": "Manufacture of electric motors, generators and transformers",
    "27200": "Manufacture of batteries and accumulators",
    "27900": "Manufacture of other electrical equipment",
    "29310": "Manufacture of electrical and electronic equipment for motor vehicles",
    "29320": "Manufacture of other parts and accessories for motor vehicles",
    "45200": "Maintenance and repair of motor vehicles",
    "45310": "Wholesale trade of motor vehicle parts and accessories",
    "45320": "Retail trade of motor vehicle parts and accessories",
    "61200": "Wireless telecommunications activities",
    "61900": "Other telecommunications activities",
    "71122": "Engineering related scientific and technical consulting activities",
    "71200": "Technical testing and analysis",
    "72190": "Other research and experimental development on natural sciences and engineering",
    "77110": "Renting and leasing of cars and light motor vehicles",
    "49320": "Taxi operation",
    "49390": "Other passenger land transport",
    "78109": "Other activities of employment placement agencies",
    "85590": "Other education n.e.c.",
    "38320": "Recovery of sorted materials",
    "28990": "Manufacture of other special-purpose machinery n.e.c.",
    "59111": "Motion picture production activities",
    "56101": "Licensed restaurants",
    "56290": "Other food services",
    "10890": "Manufacture of other food products n.e.c.",
    "47710": "Retail sale of clothing in specialised stores",
    "14190": "Manufacture of other wearing apparel and accessories",
    "68100": "Buying and selling of own real estate",
    "68209": "Other letting and operating of own or leased real estate",
    "68310": "Real estate agencies",
    "86900": "Other human health activities",
    "32500": "Manufacture of medical and dental instruments and supplies",
    "64999": "Financial intermediation not elsewhere classified",
    "66220": "Activities of insurance agents and brokers",
    "85600": "Educational support services",
    "93130": "Fitness facilities",
    "79110": "Travel agency activities",
    "47910": "Retail sale via mail order houses or via Internet",
    "01610": "Support activities for crop production",
    "73110": "Advertising agencies",
    "70229": "Management consultancy activities other than financial management",
    "41100": "Development of building projects",
    "43210": "Electrical installation",
    "96020": "Hairdressing and other beauty treatment",
    "55100": "Hotels and similar accommodation",
    "81210": "General cleaning of buildings",
    "69102": "Solicitors",
    "82990": "Other business support service activities n.e.c.",
    "99999": "Dormant Company",
    "74990": "Non-trading company",
    "52290": "Other transportation support activities",
    "53202": "Unlicensed carrier",
    "35110": "Production of electricity",
}
NAF_LETTER = {"4520": "A", "4939": "B", "5610": "A", "5629": "B", "6820": "B", "8690": "F", "4932": "Z",
              "7810": "Z", "4791": "A", "4771": "Z", "6831": "Z", "0161": "Z", "1089": "Z", "5320": "Z"}


def naf(sic):
    c = sic[:4]
    return "%s.%s%s" % (c[:2], c[2:], NAF_LETTER.get(c, "Z"))


# Sectors. relevant sectors carry the taxonomy domain they belong to.
# name: (taxonomy domain or "", categories, EN phrases, FR phrases, SIC codes)
SECTORS = {
    "electrification": ("electrification", ["Electric Vehicle", "Battery", "Energy Storage", "Charging Infrastructure"],
                        ["EV charging stations for fleets and homes", "battery management systems for electric vehicles",
                         "bidirectional charging for electric cars", "second-life batteries from electric vehicles",
                         "smart charging software for charge point operators"],
                        ["des bornes de recharge pour véhicules électriques", "des batteries de seconde vie pour la mobilité électrique",
                         "la recharge intelligente des voitures électriques"],
                        ["27900", "27200", "29310", "62012"]),
    "connectivity": ("connectivity", ["Connected Car", "Internet of Things", "Telematics", "5G"],
                     ["telematics units for connected cars", "V2X communication modules", "over-the-air updates for vehicles",
                      "a connected-car data platform for carmakers"],
                     ["des boîtiers télématiques pour véhicules connectés", "les mises à jour à distance des véhicules"],
                     ["61900", "62012", "29310", "61200"]),
    "digital_services": ("digital_services", ["Automotive", "SaaS", "Marketplace", "E-Commerce"],
                         ["a digital marketplace for used cars", "online booking of car services for drivers",
                          "a SaaS platform for car dealerships", "an app that manages vehicle ownership end to end"],
                         ["une plateforme de réservation d'entretien automobile en ligne", "un logiciel pour concessionnaires automobiles"],
                         ["62012", "63120", "58290"]),
    "metaverse": ("metaverse", ["Virtual Reality", "Augmented Reality", "Metaverse", "3D Technology"],
                  ["virtual showrooms for car brands in the metaverse", "augmented reality guides for vehicle technicians",
                   "digital twins of vehicles in virtual reality"],
                  ["des showrooms automobiles virtuels en réalité virtuelle", "la réalité augmentée pour les techniciens automobiles"],
                  ["62012", "58290", "59111"]),
    "sustainability": ("sustainability", ["CleanTech", "Recycling", "Circular Economy", "Sustainability"],
                       ["recycling of end-of-life vehicles and car parts", "carbon accounting for automotive supply chains",
                        "remanufacturing of automotive components for the circular economy"],
                       ["le recyclage des véhicules hors d'usage", "le reconditionnement de pièces automobiles (économie circulaire)"],
                       ["38320", "71122", "62012"]),
    "industry_4_0": ("industry_4_0", ["Industrial Automation", "Robotics", "Manufacturing", "Machine Learning"],
                     ["computer vision for quality control on automotive assembly lines",
                      "predictive maintenance for automotive plants", "collaborative robots for car part manufacturing"],
                     ["la vision industrielle pour le contrôle qualité des lignes d'assemblage automobile",
                      "la maintenance prédictive des usines automobiles"],
                     ["28990", "62012", "71122"]),
    "talent": ("talent", ["Recruiting", "EdTech", "Training"],
               ["training and certification of EV technicians", "recruiting platform for automotive mechanics",
                "upskilling of car repair technicians"],
               ["la formation des techniciens automobiles aux véhicules électriques", "le recrutement de mécaniciens automobiles"],
               ["85590", "78109", "62012"]),
    "aftermarket_parts": ("aftermarket_parts", ["Automotive", "Auto Parts", "E-Commerce", "Supply Chain"],
                          ["online distribution of aftermarket car parts", "spare parts identification for independent garages",
                           "a B2B marketplace for automotive spare parts"],
                          ["la distribution en ligne de pièces détachées automobiles", "l'identification des pièces de rechange pour garages"],
                          ["45310", "45320", "47910", "29320"]),
    "repair_maintenance": ("repair_maintenance", ["Automotive", "Car Repair", "Maintenance"],
                           ["a network of mobile mechanics for car repair", "smart repair of vehicle bodywork and windscreens",
                            "workshop management software for car repair shops"],
                           ["la réparation automobile à domicile", "un logiciel de gestion pour garages et ateliers de réparation"],
                           ["45200", "62012"]),
    "diagnostics": ("diagnostics", ["Automotive", "Diagnostics", "Artificial Intelligence"],
                    ["AI vehicle diagnostics from OBD data", "remote diagnostics of car faults for garages",
                     "automated damage inspection of vehicles from photos"],
                    ["le diagnostic automobile à distance à partir des données OBD", "l'inspection automatique des dommages sur les véhicules"],
                    ["71200", "62012", "45200"]),
    "fleet_mobility": ("fleet_mobility", ["Fleet Management", "Car Sharing", "Ride Sharing", "Mobility"],
                       ["fleet management software for corporate vehicles", "car sharing for residential buildings",
                        "ride pooling for suburban commuters", "electric scooter sharing"],
                       ["la gestion de flottes de véhicules d'entreprise", "l'autopartage pour les résidences"],
                       ["77110", "49390", "62012", "49320"]),
    # irrelevant sectors
    "food": ("", ["Food and Beverage", "Restaurants", "Food Delivery"],
             ["plant-based ready meals", "a meal-kit subscription", "craft beer brewing", "zero-waste catering for offices"],
             ["des plats végétariens prêts à consommer", "une brasserie artisanale"], ["10890", "56101", "56290"]),
    "fashion": ("", ["Fashion", "Apparel", "E-Commerce"],
                ["second-hand designer clothing", "made-to-measure sneakers", "rental of evening dresses"],
                ["la location de vêtements de créateurs", "des baskets sur mesure"], ["47710", "14190", "47910"]),
    "real_estate": ("", ["Real Estate", "PropTech"],
                    ["co-living apartments for young professionals", "property management software for landlords",
                     "fractional ownership of holiday homes"],
                    ["la colocation pour jeunes actifs", "un logiciel de gestion locative"], ["68100", "68209", "68310", "62012"]),
    "health": ("", ["Health Care", "Medical", "MedTech"],
               ["telemedicine for rural patients", "AI diagnostics for radiology", "wearable sensors for sleep apnea",
                "diagnostics of skin cancer from smartphone photos"],
               ["la téléconsultation médicale", "le diagnostic médical par intelligence artificielle"], ["86900", "32500", "62012"]),
    "fintech": ("", ["FinTech", "Payments", "Banking"],
                ["instant payments for freelancers", "a budgeting app for students", "crypto custody for institutions"],
                ["le paiement instantané pour les indépendants", "une application de gestion de budget"], ["64999", "62012"]),
    "edtech": ("", ["EdTech", "Education", "E-Learning"],
               ["language learning for children", "online coding bootcamps", "exam preparation with AI tutors"],
               ["l'apprentissage des langues pour enfants", "la préparation aux examens"], ["85600", "85590", "62012"]),
    "travel": ("", ["Travel", "Hospitality", "Tourism"],
               ["boutique hotel booking", "guided tours by local hosts", "travel insurance comparison"],
               ["la réservation d'hôtels de charme", "des visites guidées"], ["79110", "55100"]),
    "gaming": ("", ["Gaming", "Video Games", "Esports"],
               ["mobile puzzle games", "an esports coaching platform", "indie role-playing games"],
               ["des jeux vidéo mobiles", "le coaching esport"], ["58290", "62012"]),
    "agritech": ("", ["AgTech", "Agriculture", "Farming"],
                 ["vertical farming of leafy greens", "soil sensors for vineyards", "drone fleets for crop spraying"],
                 ["l'agriculture verticale", "des capteurs pour les vignobles"], ["01610", "62012"]),
    "marketing": ("", ["Advertising", "Marketing", "AdTech"],
                  ["influencer marketing campaigns", "programmatic advertising for retailers", "SEO tools for small businesses"],
                  ["le marketing d'influence", "la publicité programmatique"], ["73110", "62012"]),
    "beauty": ("", ["Beauty", "Cosmetics", "Personal Care"],
               ["organic skincare", "hair salon booking", "personalised perfume"],
               ["des cosmétiques bio", "la réservation de salons de coiffure"], ["96020", "47910"]),
    "legal": ("", ["Legal Tech", "Legal", "Compliance"],
              ["contract automation for law firms", "GDPR compliance software"],
              ["l'automatisation des contrats", "la conformité RGPD"], ["69102", "62012"]),
    "insurance": ("", ["InsurTech", "Insurance"],
                  ["pet insurance", "pay-per-use home insurance", "health insurance for freelancers"],
                  ["l'assurance pour animaux", "l'assurance habitation à l'usage"], ["66220"]),
    "construction": ("", ["Construction", "Building Material"],
                     ["modular timber houses", "building maintenance and facility services", "solar panel installation for homes"],
                     ["des maisons modulaires en bois", "l'installation de panneaux solaires"], ["41100", "43210", "81210"]),
    "media": ("", ["Media and Entertainment", "Video", "Podcast"],
              ["podcast production", "short documentary films", "a local news app"],
              ["la production de podcasts", "des documentaires courts"], ["59111", "63120"]),
    "fitness": ("", ["Fitness", "Sports", "Wellness"],
                ["boutique fitness studios", "a running coach app", "yoga retreats"],
                ["des salles de sport", "une application de coaching de course"], ["93130", "62012"]),
    "logistics": ("", ["Logistics", "Delivery", "Supply Chain"],
                  ["last-mile parcel lockers", "warehouse staffing", "freight brokerage for farmers"],
                  ["des consignes à colis", "le courtage de fret"], ["52290", "53202"]),
    "hrtech": ("", ["Human Resources", "Recruiting", "SaaS"],
               ["recruiting software for restaurants", "payroll for small shops", "employee wellbeing surveys"],
               ["le recrutement pour la restauration", "la paie des petits commerces"], ["78109", "62012"]),
    "cyber": ("", ["Cyber Security", "Security", "SaaS"],
              ["phishing simulation for banks", "password management for families"],
              ["la simulation d'hameçonnage", "la gestion de mots de passe"], ["62020", "62090"]),
}
RELEVANT_SECTORS = [s for s, v in SECTORS.items() if v[0]]
IRRELEVANT_SECTORS = [s for s, v in SECTORS.items() if not v[0]]
# Which descriptor words fit which sector (else a neutral one).
SECTOR_DESCRIPTORS = {
    "electrification": ["Energy", "Énergie", "Energie", "Energía", "Energia", "Energi"],
    "fleet_mobility": ["Mobility", "Mobilité", "Mobilität", "Movilidad", "Mobilidade", "Mobilitet", "Mobilita"],
    "health": ["Health", "Santé", "Gesundheit"], "food": ["Foods"], "media": ["Studio"],
    "industry_4_0": ["Robotics", "Systems", "Systèmes", "Systeme"], "fintech": ["Ventures"],
}
NEUTRAL_DESCRIPTORS = {"Labs", "Technologies", "Systems", "Solutions", "Analytics", "Digital", "International",
                       "Networks", "Technologies", "Numérique", "Réseaux", "Technik", "Lösungen", "Tecnologías",
                       "Soluciones", "Sistemas", "Tecnologia", "Soluções", "Teknik", "System", "Technologie",
                       "Systémy", "Systèmes", "Systeme"}

INCUBATORS = {
    "FR": [("Station F", "5 Parvis Alan Turing", "Paris", "75013"),
           ("Euratechnologies", "165 Avenue de Bretagne", "Lille", "59000")],
    "GB": [("Level39", "One Canada Square", "London", "E14 5AB"),
           ("Barclays Eagle Labs", "28 Chesterton Road", "Cambridge", "CB4 3AZ")],
    "DE": [("Factory Berlin", "Rheinsberger Str. 76/77", "Berlin", "10115"),
           ("UnternehmerTUM", "Lichtenbergstraße 6", "München", "85748")],
    "US": [("Plug and Play Tech Center", "440 N Wolfe Rd", "Palo Alto", "94085")],
    "ES": [("Barcelona Tech City", "Pla de Palau 18", "Barcelona", "08003")],
}
SHARED_HOSTS = ["linkedin.com/company/{s}", "{s}.wixsite.com/home", "medium.com/@{s}", "{s}.github.io",
                "facebook.com/{s}", "sites.google.com/view/{s}"]

UK_STREETS = ["HIGH STREET", "STATION ROAD", "CHURCH LANE", "MILL ROAD", "VICTORIA ROAD", "KING STREET",
              "PARK AVENUE", "LONDON ROAD", "QUEEN STREET", "BRIDGE STREET", "GREEN LANE", "THE PARADE"]
UK_TOWNS = [("LONDON", "GREATER LONDON", "EC1V 2NX"), ("MANCHESTER", "GREATER MANCHESTER", "M1 4BT"),
            ("BIRMINGHAM", "WEST MIDLANDS", "B3 2BJ"), ("BRISTOL", "", "BS1 4DJ"), ("LEEDS", "WEST YORKSHIRE", "LS1 5HD"),
            ("SHEFFIELD", "SOUTH YORKSHIRE", "S1 2HE"), ("COVENTRY", "WEST MIDLANDS", "CV1 2TT"),
            ("CAMBRIDGE", "CAMBRIDGESHIRE", "CB2 1TN"), ("OXFORD", "OXFORDSHIRE", "OX1 2JD"),
            ("EDINBURGH", "", "EH2 4AD"), ("NORWICH", "NORFOLK", "NR2 1BN"), ("CARDIFF", "", "CF10 1EP")]
SURNAMES = ["SMITH", "JONES", "TAYLOR", "BROWN", "WILLIAMS", "WILSON", "JOHNSON", "DAVIES", "ROBINSON", "WRIGHT",
            "THOMPSON", "EVANS", "WALKER", "WHITE", "ROBERTS", "GREEN", "HALL", "WOOD", "JACKSON", "CLARKE",
            "HARGREAVES", "PATEL", "KHAN", "MURPHY", "O'BRIEN", "MACDONALD"]
UK_WORDS = ["PROPERTY", "HOLDINGS", "BUILDERS", "CONSULTING", "SERVICES", "MANAGEMENT", "TRADING", "ESTATES",
            "LOGISTICS", "CATERING", "DESIGN", "INVESTMENTS", "CARE", "ELECTRICAL", "PLUMBING", "MOTORS",
            "GARAGE", "TAXIS", "SOFTWARE", "IT SOLUTIONS", "DIGITAL", "MEDIA", "FOODS", "CLEANING"]
FR_NOMS = ["MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY", "MOREAU",
           "SIMON", "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX", "VINCENT", "FOURNIER"]
FR_PRENOMS = ["JEAN", "MARIE", "PIERRE", "SOPHIE", "NICOLAS", "ISABELLE", "THOMAS", "CAMILLE", "LUC", "JULIE"]
FR_WORDS = ["BOULANGERIE", "SCI", "GARAGE", "TRANSPORTS", "BATIMENT", "HOLDING", "CONSEIL", "IMMOBILIER",
            "RESTAURANT", "PHARMACIE", "AMBULANCES", "PLOMBERIE", "INFORMATIQUE", "CARROSSERIE", "TAXI"]
FR_NOISE_NAF = ["56.10A", "68.20B", "45.20A", "49.32Z", "43.22A", "47.73Z", "62.01Z", "70.22Z", "86.21Z",
                "41.20A", "10.71C", "96.02A", "45.11Z", "62.02A", "81.21Z"]


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

def strip_accents(s):
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn") \
        .replace("ß", "ss").replace("ø", "o").replace("Ø", "O").replace("æ", "ae")


def slug(s):
    s = strip_accents(s).lower()
    return "".join(c for c in s if c.isalnum())


def accentize(brand, country, rng):
    """Give a brand a local accent now and then (Škoda-like, Zürich-like)."""
    if rng.random() > 0.45:
        return brand
    rules = {
        "FR": [("E", "É", 0), ("e", "é", 1), ("o", "ô", 1)],
        "DE": [("u", "ü", 1), ("o", "ö", 1), ("a", "ä", 1)],
        "CH": [("u", "ü", 1), ("o", "ö", 1)],
        "SE": [("o", "ö", 1), ("a", "å", 1), ("a", "ä", 1)],
        "CZ": [("S", "Š", 0), ("C", "Č", 0), ("Z", "Ž", 0), ("R", "Ř", 0), ("e", "ě", 1), ("a", "á", 1)],
        "ES": [("n", "ñ", 1), ("a", "á", 1), ("o", "ó", 1)],
        "PT": [("a", "ã", 1), ("c", "ç", 1), ("o", "õ", 1)],
        "BR": [("a", "ã", 1), ("c", "ç", 1)],
    }.get(country)
    if not rules:
        return brand
    for src, dst, inner in rules:
        if inner == 0 and brand.startswith(src):
            return dst + brand[1:]
        if inner == 1:
            i = brand.find(src, 1)
            if i > 0:
                return brand[:i] + dst + brand[i + 1:]
    return brand


def typo(s, rng):
    """One keyboard slip inside the first word (never its first letter)."""
    word_end = s.find(" ")
    if word_end < 0:
        word_end = len(s)
    if word_end < 4:
        return s
    i = rng.randrange(1, word_end - 1)
    op = rng.randrange(4)
    if op == 0:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    if op == 1:
        return s[:i] + s[i + 1:]
    if op == 2:
        return s[:i] + s[i] + s[i:]
    return s[:i] + rng.choice("aeiouy") + s[i + 1:]


def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def make_siren(rng, used):
    while True:
        body = "%d%07d" % (rng.randint(3, 9), rng.randrange(10 ** 7))
        for c in "0123456789":
            if luhn_ok(body + c) and body + c not in used:
                used.add(body + c)
                return body + c
        # unreachable: one check digit always works


def lei_check(base18):
    n = int("".join(str(int(c, 36)) for c in base18) + "00")
    return "%02d" % (98 - n % 97)


def make_lei(rng, used):
    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    while True:
        base = rng.choice(["2138", "5493", "9695", "3912", "5299", "2549", "8945", "9845"]) + "00" + \
            "".join(rng.choice(alnum) for _ in range(12))
        lei = base + lei_check(base)
        if lei not in used:
            used.add(lei)
            return lei


def make_uuid(rng):
    return "%08x-%04x-4%03x-%04x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12),
                                           0x8000 | rng.getrandbits(14), rng.getrandbits(48))


def rand_date(rng, y0, y1):
    """A date (y, m, d) between Jan 1st of y0 and Dec 31st of y1."""
    y = rng.randint(y0, y1)
    m = rng.randint(1, 12)
    d = rng.randint(1, 28)
    return (y, m, d)


def iso(d):
    return "%04d-%02d-%02d" % d


def dmy(d):
    return "%02d/%02d/%04d" % (d[2], d[1], d[0])


DOW = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def weekday(d):
    y, m, dd = d
    t = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4]
    if m < 3:
        y -= 1
    return (y + y // 4 - y // 100 + y // 400 + t[m - 1] + dd + 6) % 7  # 0 = Monday


def rfc822(d, hh, mm):
    return "%s, %02d %s %04d %02d:%02d:00 +0000" % (DOW[weekday(d)], d[2], MON[d[1] - 1], d[0], hh, mm)


def rfc3339(d, hh, mm):
    return "%sT%02d:%02d:00Z" % (iso(d), hh, mm)


# ---------------------------------------------------------------------------------------------
# The world: true companies
# ---------------------------------------------------------------------------------------------

class Company:
    pass


def pick_country(rng):
    total = sum(c[4] for c in COUNTRIES)
    r = rng.uniform(0, total)
    for c in COUNTRIES:
        r -= c[4]
        if r <= 0:
            return c[0]
    return COUNTRIES[-1][0]


MIDDLES = ["a", "o", "i", "e", "ri", "ta", "no", "li", "ve", "ro", "ka", "mi", "sa", "du", "ne"]


def new_brand(rng, used_brands):
    """A brand nobody has yet (ASCII-folded); the space grows with the attempts, so any N ends."""
    tries = 0
    while True:
        tries += 1
        b = rng.choice(PREFIXES)
        if rng.random() < 0.35 or tries > 20:
            b += rng.choice(MIDDLES)
        if tries > 60:
            b += rng.choice(MIDDLES)
        b += rng.choice(ENDINGS)
        if rng.random() < 0.15:
            b += rng.choice(["a", "o", "ix", "er", "on"])
        k = slug(b)
        if k not in used_brands and len(k) >= 4:
            used_brands.add(k)
            return b


def pick_descriptor(rng, sector, country):
    lang = LANG.get(country, "en")
    if rng.random() < 0.45:
        return ""
    fitting = [d for d in SECTOR_DESCRIPTORS.get(sector, []) if d in DESCRIPTORS[lang] or d in DESCRIPTORS["en"]]
    if fitting and rng.random() < 0.6:
        return rng.choice(fitting)
    neutral = [d for d in DESCRIPTORS[lang] if d in NEUTRAL_DESCRIPTORS]
    if lang != "en" and rng.random() < 0.35:
        neutral = [d for d in DESCRIPTORS["en"] if d in NEUTRAL_DESCRIPTORS]
    return rng.choice(neutral or sorted(NEUTRAL_DESCRIPTORS))


def make_domain(rng, brand, descriptor, country, used_domains, shared_ok=True):
    if shared_ok and rng.random() < 0.03:
        pat = rng.choice(SHARED_HOSTS)
        return pat.format(s=slug(brand + descriptor)), True
    tld = COUNTRY[country][6]
    for _ in range(50):
        r = rng.random()
        base = slug(brand)
        if descriptor and r < 0.3:
            base = slug(brand) + rng.choice(["", "-"]) + slug(descriptor)
        elif r < 0.4:
            base = rng.choice(["get", "try", "hello", "use"]) + slug(brand)
        t = rng.choice([tld, tld, "com", "io", "ai", "eu"] if tld != "com" else ["com", "com", "io", "ai", "co"])
        dom = base + "." + t
        if dom not in used_domains:
            used_domains.add(dom)
            return dom, False
    dom = slug(brand) + str(rng.randrange(1000)) + ".com"
    used_domains.add(dom)
    return dom, False


class World:
    def __init__(self, rng, n, years):
        self.rng = rng
        self.years = years
        self.used_brands = set()
        self.used_domains = set()
        self.used_siren = set()
        self.used_lei = set()
        self.used_chnum = set()
        self.companies = []
        self.make_startups(n)

    def startup(self, idx, country=None, brand=None, descriptor=None, sector=None, city=None):
        rng = self.rng
        c = Company()
        c.id = "S%05d" % idx
        c.kind = "startup"
        c.country = country or pick_country(rng)
        if sector is None:
            sector = rng.choice(RELEVANT_SECTORS) if rng.random() < 0.125 else rng.choice(IRRELEVANT_SECTORS)
        c.sector = sector
        c.tax_domain = SECTORS[sector][0]
        c.relevant = 1 if c.tax_domain else 0
        c.brand = brand or accentize(new_brand(rng, self.used_brands), c.country, rng)
        c.descriptor = pick_descriptor(rng, sector, c.country) if descriptor is None else descriptor
        c.legal = rng.choice(COUNTRY[c.country][7])
        c.city = city or rng.choice(COUNTRY[c.country][5])
        c.incubator = None
        if c.country in INCUBATORS and rng.random() < 0.12:
            inc = rng.choice(INCUBATORS[c.country])
            c.incubator = inc
            c.city = next((ct for ct in COUNTRY[c.country][5] if ct[0] == inc[2]), (inc[2], inc[2]))
        c.website, c.shared_host = make_domain(rng, c.brand, c.descriptor, c.country, self.used_domains)
        c.cohort = rng.choice(self.years)
        # published: first time a source announced it (inside the cohort year)
        c.published = rand_date(rng, c.cohort, c.cohort)
        fy = min(c.published[0], max(2015, c.cohort - int(rng.expovariate(0.45))))
        c.founded = rand_date(rng, fy, fy)
        if c.founded > c.published:
            c.founded = (c.published[0], 1, rng.randint(1, 28)) if c.published[1] > 1 else c.published
        c.status = "active"
        c.hard_negative_of = ""
        c.chnum = None
        c.siren = None
        c.lei = None
        c.previous_name = None
        return c

    def make_startups(self, n):
        rng = self.rng
        i = 0
        while len(self.companies) < n:
            i += 1
            base = self.startup(i)
            self.companies.append(base)
            r = rng.random()
            if r < 0.035 and len(self.companies) < n:
                # hard negative: the same name in another country, a different company
                i += 1
                other_country = rng.choice([c[0] for c in COUNTRIES if c[0] != base.country])
                neg = self.startup(i, country=other_country, brand=base.brand, descriptor=base.descriptor)
                neg.hard_negative_of = base.id
                self.companies.append(neg)
            elif r < 0.07 and len(self.companies) < n:
                # hard negative: same brand, another descriptor word, same country (often same city)
                i += 1
                lang = LANG.get(base.country, "en")
                choices = [d for d in DESCRIPTORS[lang] if d != base.descriptor]
                desc = rng.choice(choices)
                city = base.city if rng.random() < 0.6 else None
                if not base.descriptor:
                    base.descriptor = rng.choice([d for d in DESCRIPTORS[lang] if d != desc])
                neg = self.startup(i, country=base.country, brand=base.brand, descriptor=desc, city=city)
                neg.hard_negative_of = base.id
                self.companies.append(neg)
        # a few renamed startups: the registry keeps the previous name
        for c in self.companies:
            if rng.random() < 0.03:
                c.previous_name = new_brand(rng, self.used_brands)
            if rng.random() < 0.04:
                c.status = "closed"


def noise_company_uk(rng, idx, world):
    c = Company()
    c.id = "X%05d" % idx
    c.kind = "noise"
    c.country = "GB"
    c.sector = "registry_noise"
    c.tax_domain = ""
    c.relevant = 0
    kind = rng.random()
    words = [rng.choice(SURNAMES), rng.choice(UK_WORDS)]
    if rng.random() < 0.3:
        words.insert(0, str(rng.randint(1, 250)))
        words[1] = rng.choice(["WOOD STREET", "PARK LANE", "HIGH STREET", "ELM GROVE"])
    c.name = " ".join(words) + " " + rng.choice(["LIMITED", "LIMITED", "LTD", "(UK) LIMITED", "SERVICES LIMITED"])
    if kind < 0.45:    # old company
        c.founded = rand_date(rng, 1965, H - 13)
    elif kind < 0.75:  # middle-aged
        c.founded = rand_date(rng, H - 12, H - 6)
    else:              # recent, some of which pass every filter
        c.founded = rand_date(rng, H - 5, H)
    c.status = rng.choice(["Active"] * 6 + ["Dissolved", "Liquidation", "Active - Proposal to Strike off"])
    tech = rng.random() < 0.25
    c.sics = rng.sample(["62012", "62020", "62090", "63120", "45200", "49320"], rng.randint(1, 2)) if tech else \
        rng.sample(["68100", "68209", "56101", "41100", "96020", "70229", "82990", "81210", "43210",
                    "99999", "74990", "47710", "55100", "69102"], rng.randint(1, 2))
    return c


def noise_company_fr(rng, idx, world):
    c = Company()
    c.id = "Y%05d" % idx
    c.kind = "noise"
    c.country = "FR"
    c.sector = "registry_noise"
    c.tax_domain = ""
    c.relevant = 0
    c.sole = rng.random() < 0.3
    c.nom = rng.choice(FR_NOMS)
    c.prenom = rng.choice(FR_PRENOMS)
    if c.sole:
        c.name = ""
    else:
        w = rng.choice(FR_WORDS)
        c.name = w + " " + (rng.choice(FR_NOMS) if rng.random() < 0.7 else rng.choice(["DES LILAS", "DU CENTRE", "DE L'OUEST", "ET FILS"]))
    r = rng.random()
    c.founded = rand_date(rng, 1975, H - 13) if r < 0.5 else rand_date(rng, H - 12, H)
    c.status = "C" if rng.random() < 0.2 else "A"
    c.naf = rng.choice(FR_NOISE_NAF)
    c.siren = make_siren(rng, world.used_siren)
    return c


# ---------------------------------------------------------------------------------------------
# Rendering variations
# ---------------------------------------------------------------------------------------------

def display_name(c, rng, *, legal_p, typo_p, drop_accent_p, abbrev_p=0.35, drop_desc_p=0.0, upper=False):
    brand = c.brand
    desc = c.descriptor
    if desc and desc in ABBREV and rng.random() < abbrev_p:
        desc = ABBREV[desc]
    if desc and drop_desc_p and not c.shared_host and rng.random() < drop_desc_p:
        desc = ""
    name = brand + (" " + desc if desc else "")
    if typo_p and rng.random() < typo_p:
        name = typo(name, rng)
    if rng.random() < legal_p:
        sep = ", " if c.legal in ("Inc.", "LLC") and rng.random() < 0.3 else " "
        name = name + sep + rng.choice(LEGAL_VARIANTS.get(c.legal, [c.legal]))
    if rng.random() < drop_accent_p:
        name = strip_accents(name)
    if upper:
        name = name.upper()
    return name


def website_variant(c, rng, bare_p=0.1):
    d = c.website
    if c.shared_host:
        return "https://" + ("www." if d.startswith(("linkedin", "facebook")) else "") + d
    r = rng.random()
    if r < bare_p:
        return rng.choice([d, "www." + d])
    scheme = rng.choice(["https://", "https://", "http://"])
    host = ("www." if rng.random() < 0.5 else "") + d
    if rng.random() < 0.1:
        host = host.capitalize() if not host.startswith("www.") else "www." + d.capitalize()
    path = rng.choice(["", "", "", "/", "/en", "/en/", "/fr/accueil", "/home", "/?utm_source=feed", "/about-us"])
    return scheme + host + path


def country_variant(c, rng, allow=("iso2", "iso3", "en", "native")):
    cc = COUNTRY[c.country]
    form = rng.choice(allow)
    return {"iso2": cc[0], "iso3": cc[1], "en": cc[2], "native": cc[3]}[form]


def city_variant(c, rng, drop_accent_p=0.2):
    native, english = c.city
    s = english if rng.random() < 0.25 else native
    if rng.random() < drop_accent_p:
        s = strip_accents(s)
    return s


def description(c, rng, lang="en"):
    sect = SECTORS[c.sector]
    nm = c.brand + (" " + c.descriptor if c.descriptor else "")
    city = c.city[0]
    cname = COUNTRY[c.country][2]
    if lang == "fr" and sect[3]:
        phrase = rng.choice(sect[3])
        return "%s développe %s. Fondée en %d, basée à %s (%s)." % (nm, phrase, c.founded[0], city, COUNTRY[c.country][3])
    phrase = rng.choice(sect[2])
    verb = rng.choice(["builds", "develops", "offers", "provides", "is building"])
    return "%s %s %s. Founded in %d and based in %s, %s." % (nm, verb, phrase, c.founded[0], city, cname)


def categories(c, rng, k=None):
    cats = SECTORS[c.sector][1]
    k = k or rng.randint(1, min(3, len(cats)))
    return rng.sample(cats, k)


def sics_of(c, rng):
    codes = SECTORS[c.sector][4]
    first = codes[0]
    rest = [x for x in codes[1:] if rng.random() < 0.35]
    return [first] + rest[:3]


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------

class Out:
    def __init__(self, outdir):
        self.dir = outdir
        self.truth = []      # (file, key, true_id, relevant, domain)
        self.malformed = []  # (file, key, defect)

    def label(self, fname, key, c):
        self.truth.append((fname, key, c.id, c.relevant, c.tax_domain))

    def write_bytes(self, fname, data):
        with open(os.path.join(self.dir, fname), "wb") as f:
            f.write(data)


def csv_text(rows, quote_all=False):
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\r\n" if quote_all else "\n")
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


def feed_items(world, rng, members, source_tag):
    """(company, published date, hour, minute) for each item, duplicates included, newest first."""
    items = []
    for c in members:
        items.append((c, c.published, rng.randrange(24), rng.randrange(60)))
        if rng.random() < 0.05:   # the same startup announced again later (news of a funding round)
            later = rand_date(rng, c.published[0], max(world.years))
            if later > c.published:
                items.append((c, later, rng.randrange(24), rng.randrange(60)))
    items.sort(key=lambda t: (t[1], t[2], t[3], t[0].id), reverse=True)
    return items


def write_rss(world, out, rng, members):
    fname = "feed_rss.xml"
    items = feed_items(world, rng, members, "rss")
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n',
             '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n',
             '  <title>StartupRadar — new startups worldwide</title>\n',
             '  <link>https://startupradar.example.org/</link>\n',
             '  <description>New startups added to the StartupRadar directory</description>\n',
             '  <language>en</language>\n']
    seq = 0
    bad_at = {len(items) // 3: "missing_title", (2 * len(items)) // 3: "bad_date"}
    for pos, (c, d, hh, mm) in enumerate(items):
        if pos in bad_at:
            seq += 1
            key = "https://startupradar.example.org/s/broken-%d" % seq
            defect = bad_at[pos]
            title = "" if defect == "missing_title" else "Brokenfeed Item %d" % seq
            date = rfc822(d, hh, mm) if defect != "bad_date" else "Mon, 45 Foo 2025 99:99:99 +0000"
            parts.append('  <item>\n    <title>%s</title>\n    <link>https://brokenfeed%d.example.com</link>\n'
                         '    <guid isPermaLink="true">%s</guid>\n    <pubDate>%s</pubDate>\n  </item>\n'
                         % (escape(title), seq, escape(key), date))
            out.malformed.append((fname, key, defect))
        seq += 1
        key = "https://startupradar.example.org/s/%s-%d" % (slug(c.brand), 100000 + seq)
        name = display_name(c, rng, legal_p=0.2, typo_p=0.04, drop_accent_p=0.2, drop_desc_p=0.05)
        lang = "fr" if c.country in ("FR", "MA") and rng.random() < 0.5 else "en"
        cats = "".join("    <category>%s</category>\n" % escape(x) for x in categories(c, rng))
        geo = ""
        if rng.random() < 0.92:
            geo += '    <category domain="country">%s</category>\n' % escape(country_variant(c, rng, ("iso2", "en", "native")))
        if rng.random() < 0.85:
            geo += '    <category domain="city">%s</category>\n' % escape(city_variant(c, rng))
        link = website_variant(c, rng, bare_p=0.0)
        parts.append('  <item>\n    <title>%s</title>\n    <link>%s</link>\n    <guid isPermaLink="true">%s</guid>\n'
                     '%s%s    <description>%s</description>\n    <pubDate>%s</pubDate>\n  </item>\n'
                     % (escape(name), escape(link), escape(key), cats, geo, escape(description(c, rng, lang)),
                        rfc822(d, hh, mm)))
        out.label(fname, key, c)
    parts.append('</channel>\n</rss>\n')
    out.write_bytes(fname, "".join(parts).encode("utf-8"))


def write_atom(world, out, rng, members):
    fname = "feed_atom.xml"
    items = feed_items(world, rng, members, "atom")
    updated = rfc3339(items[0][1], 23, 0) if items else "%d-12-31T00:00:00Z" % H
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">\n',
             '  <title>EU-Startups Watch</title>\n  <id>tag:eu-startups-watch.example.net,2023:feed</id>\n',
             '  <link rel="self" href="https://eu-startups-watch.example.net/feed.atom"/>\n',
             '  <updated>%s</updated>\n  <author><name>EU-Startups Watch</name></author>\n' % updated]
    seq = 0
    bad_at = {len(items) // 4: "missing_title", len(items) // 2: "bad_date"}
    for pos, (c, d, hh, mm) in enumerate(items):
        if pos in bad_at:
            seq += 1
            key = "tag:eu-startups-watch.example.net,2024:entry-broken-%d" % seq
            defect = bad_at[pos]
            title = "<title></title>" if defect == "missing_title" else "<title>Brokenatom %d</title>" % seq
            date = rfc3339(d, hh, mm) if defect != "bad_date" else "2025-02-30T25:61:00Z"
            parts.append('  <entry>\n    %s\n    <id>%s</id>\n    <link rel="alternate" href="https://brokenatom%d.example.com/"/>\n'
                         '    <published>%s</published>\n    <updated>%s</updated>\n  </entry>\n'
                         % (title, escape(key), seq, date, date))
            out.malformed.append((fname, key, defect))
        seq += 1
        key = "tag:eu-startups-watch.example.net,%d:entry-%06d" % (d[0], seq)
        name = display_name(c, rng, legal_p=0.15, typo_p=0.04, drop_accent_p=0.15, drop_desc_p=0.05)
        lang = "fr" if c.country in ("FR", "MA") and rng.random() < 0.4 else "en"
        cats = "".join('    <category scheme="sector" term=%s/>\n' % quoteattr(x) for x in categories(c, rng))
        if rng.random() < 0.95:
            cats += '    <category scheme="country" term=%s/>\n' % quoteattr(country_variant(c, rng, ("iso2", "iso3", "en")))
        if rng.random() < 0.9:
            cats += '    <category scheme="city" term=%s/>\n' % quoteattr(city_variant(c, rng))
        t = rfc3339(d, hh, mm)
        parts.append('  <entry>\n    <title>%s</title>\n    <id>%s</id>\n    <link rel="alternate" href=%s/>\n'
                     '    <published>%s</published>\n    <updated>%s</updated>\n%s    <summary>%s</summary>\n  </entry>\n'
                     % (escape(name), escape(key), quoteattr(website_variant(c, rng, bare_p=0.0)), t, t, cats,
                        escape(description(c, rng, lang))))
        out.label(fname, key, c)
    parts.append('</feed>\n')
    out.write_bytes(fname, "".join(parts).encode("utf-8"))


def write_rdf(world, out, rng, members):
    """RSS 1.0: a German national startup feed (country = DE in the config)."""
    fname = "feed_rdf.xml"
    items = feed_items(world, rng, members, "rdf")
    keys = []
    body = []
    used_links = set()
    seq = 0
    bad_at = {len(items) // 2: "missing_title"}
    for pos, (c, d, hh, mm) in enumerate(items):
        if pos in bad_at:
            seq += 1
            key = "https://kaputt%d.example.de/" % seq
            keys.append(key)
            body.append('  <item rdf:about=%s>\n    <title></title>\n    <link>%s</link>\n'
                        '    <dc:date>%s</dc:date>\n  </item>\n' % (quoteattr(key), key, rfc3339(d, hh, mm)))
            out.malformed.append((fname, key, "missing_title"))
        seq += 1
        # RSS 1.0: rdf:about should equal <link>; feed readers key items on it, so it is unique here
        link = website_variant(c, rng, bare_p=0.0)
        while link in used_links:
            link = website_variant(c, rng, bare_p=0.0)
            if link in used_links:
                link = "https://%s/?ref=gsr-%d" % (c.website, seq)
        used_links.add(link)
        key = link
        keys.append(key)
        name = display_name(c, rng, legal_p=0.35, typo_p=0.03, drop_accent_p=0.1)
        subj = "".join("    <dc:subject>%s</dc:subject>\n" % escape(x) for x in categories(c, rng))
        body.append('  <item rdf:about=%s>\n    <title>%s</title>\n    <link>%s</link>\n    <description>%s</description>\n'
                    '    <dc:date>%s</dc:date>\n%s    <dc:coverage>%s</dc:coverage>\n  </item>\n'
                    % (quoteattr(key), escape(name), escape(link),
                       escape(description(c, rng, "en")), rfc3339(d, hh, mm), subj, escape(city_variant(c, rng, 0.1))))
        out.label(fname, key, c)
    head = ['<?xml version="1.0" encoding="UTF-8"?>\n',
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/">\n',
            '  <channel rdf:about="https://gruenderszene-radar.example.de/">\n'
            '    <title>Gründerszene Radar — neue Start-ups in Deutschland</title>\n'
            '    <link>https://gruenderszene-radar.example.de/</link>\n'
            '    <description>Neue Start-ups aus Deutschland</description>\n    <items>\n      <rdf:Seq>\n']
    head += ['        <rdf:li rdf:resource=%s/>\n' % quoteattr(k) for k in keys]
    head.append('      </rdf:Seq>\n    </items>\n  </channel>\n')
    out.write_bytes(fname, ("".join(head) + "".join(body) + "</rdf:RDF>\n").encode("utf-8"))


def write_crunchbase(world, out, rng, members):
    fname = "crunchbase.csv"
    rows = []
    for c in members:
        key = make_uuid(rng)
        name = display_name(c, rng, legal_p=0.1, typo_p=0.03, drop_accent_p=0.15, drop_desc_p=0.3)
        hp = website_variant(c, rng, bare_p=0.05) if rng.random() < 0.95 else ""
        dom = "" if not hp else (c.website.split("/")[0] if c.shared_host else rng.choice([c.website, "www." + c.website]))
        r = rng.random()
        founded = iso(c.founded) if r < 0.75 else ("%04d" % c.founded[0] if r < 0.9 else "")
        status = {"active": rng.choice(["operating"] * 9 + ["acquired"]), "closed": "closed"}[c.status]
        rows.append([key, name, hp, dom, COUNTRY[c.country][1], city_variant(c, rng, 0.15),
                     ",".join(categories(c, rng)), description(c, rng, "en")[:200], founded, status])
        out.label(fname, key, c)
    rng.shuffle(rows)
    # malformed: a row without a name, a row with an impossible date, a row with invalid UTF-8
    bad = []
    k1, k2, k3 = make_uuid(rng), make_uuid(rng), make_uuid(rng)
    bad.append((len(rows) // 4, [k1, "", "https://noname.example.com", "noname.example.com", "FRA", "Paris",
                                "Software", "A row without a name", "2024-03-01", "operating"], "missing_name"))
    bad.append((len(rows) // 2, [k2, "Datebroken Labs", "https://datebroken.example.com", "datebroken.example.com",
                                "USA", "Boston", "Software", "Founded on an impossible date", "2024-13-45",
                                "operating"], "bad_date"))
    text_head = csv_text([["uuid", "name", "homepage_url", "domain", "country_code", "city", "category_list",
                           "short_description", "founded_on", "status"]])
    pieces = []
    for i, r in enumerate(rows):
        for pos, br, defect in bad:
            if pos == i:
                pieces.append(csv_text([br]).encode("utf-8"))
                out.malformed.append((fname, br[0], defect))
        pieces.append(csv_text([r]).encode("utf-8"))
        if i == (3 * len(rows)) // 4:
            line = csv_text([[k3, "Bad\x00UTF8", "https://badutf8.example.com", "badutf8.example.com", "DEU", "Berlin",
                              "Software", "A row with invalid UTF-8", "2023-05-01", "operating"]]).encode("utf-8")
            pieces.append(line.replace(b"Bad\x00UTF8", b"Bad\xff\xfeUTF8 Gmbh"))
            out.malformed.append((fname, k3, "invalid_utf8"))
    out.write_bytes(fname, text_head.encode("utf-8") + b"".join(pieces))


CH_HEADER = ("CompanyName, CompanyNumber,RegAddress.CareOf,RegAddress.POBox,RegAddress.AddressLine1, RegAddress.AddressLine2,"
             "RegAddress.PostTown,RegAddress.County,RegAddress.Country,RegAddress.PostCode,CompanyCategory,CompanyStatus,"
             "CountryOfOrigin,DissolutionDate,IncorporationDate,Accounts.AccountRefDay,Accounts.AccountRefMonth,"
             "Accounts.NextDueDate,Accounts.LastMadeUpDate,Accounts.AccountCategory,Returns.NextDueDate,"
             "Returns.LastMadeUpDate,Mortgages.NumMortCharges,Mortgages.NumMortOutstanding,Mortgages.NumMortPartSatisfied,"
             "Mortgages.NumMortSatisfied,SICCode.SicText_1,SICCode.SicText_2,SICCode.SicText_3,SICCode.SicText_4,"
             "LimitedPartnerships.NumGenPartners,LimitedPartnerships.NumLimPartners,URI,PreviousName_1.CONDATE,"
             " PreviousName_1.CompanyName, PreviousName_2.CONDATE, PreviousName_2.CompanyName,PreviousName_3.CONDATE,"
             " PreviousName_3.CompanyName,PreviousName_4.CONDATE, PreviousName_4.CompanyName,PreviousName_5.CONDATE,"
             " PreviousName_5.CompanyName,PreviousName_6.CONDATE, PreviousName_6.CompanyName,PreviousName_7.CONDATE,"
             " PreviousName_7.CompanyName,PreviousName_8.CONDATE, PreviousName_8.CompanyName,PreviousName_9.CONDATE,"
             " PreviousName_9.CompanyName,PreviousName_10.CONDATE, PreviousName_10.CompanyName,ConfStmtNextDueDate,"
             " ConfStmtLastMadeUpDate")


def ch_number(rng, world, founded):
    while True:
        if founded[0] >= 2016:
            n = "%08d" % rng.randint(9800000 + (founded[0] - 2016) * 700000, 10400000 + (founded[0] - 2016) * 700000)
        elif rng.random() < 0.08:
            n = "SC%06d" % rng.randint(100000, 699999)
        else:
            n = "%08d" % rng.randint(100000, 9800000)
        if n not in world.used_chnum:
            world.used_chnum.add(n)
            return n


def ch_row(rng, name, number, addr, status, founded, sics, prev=None):
    a1, a2, town, county, country, pc = addr
    dissolved = ""
    if status == "Dissolved":
        dissolved = dmy(rand_date(rng, min(max(founded[0] + 1, H - 7), H), H))
    row = [name, number, "", "", a1, a2, town, county, country, pc, "Private Limited Company", status,
           "United Kingdom", dissolved, dmy(founded), str(rng.randint(1, 31)), str(rng.randint(1, 12)),
           dmy(rand_date(rng, H + 1, H + 1)), dmy(rand_date(rng, H - 1, H)) if founded[0] < H - 1 else "",
           rng.choice(["MICRO ENTITY", "TOTAL EXEMPTION FULL", "NO ACCOUNTS FILED", "SMALL", "DORMANT"]),
           "", "", "0", "0", "0", "0"]
    sic_txt = ["%s - %s" % (s, SIC[s]) for s in sics][:4]
    row += sic_txt + [""] * (4 - len(sic_txt))
    row += ["0", "0", "http://business.data.gov.uk/id/company/%s" % number]
    prevs = []
    if prev:
        prevs = [dmy(rand_date(rng, min(founded[0], H), H)), prev]
    row += prevs + [""] * (20 - len(prevs))
    row += [dmy(rand_date(rng, H + 1, H + 1)), dmy(rand_date(rng, H, H))]
    assert len(row) == 55, len(row)
    return row


def uk_address(rng, c):
    if getattr(c, "incubator", None):
        inc = c.incubator
        return (inc[0].upper(), inc[1].upper(), inc[2].upper(), "", rng.choice(["ENGLAND", "UNITED KINGDOM"]), inc[3])
    town, county, pc = rng.choice(UK_TOWNS)
    if hasattr(c, "city") and c.country == "GB":
        want = strip_accents(c.city[0]).upper()
        for t in UK_TOWNS:
            if t[0] == want:
                town, county, pc = t
    return ("%d %s" % (rng.randint(1, 220), rng.choice(UK_STREETS)), rng.choice(["", "", "UNIT %d" % rng.randint(1, 30)]),
            town, county, rng.choice(["ENGLAND", "UNITED KINGDOM", ""]) if town not in ("EDINBURGH", "CARDIFF")
            else ("SCOTLAND" if town == "EDINBURGH" else "WALES"), pc)


def write_companies_house(world, out, rng, members, noise):
    fname = "companies_house.csv"
    rows = []
    for c in members:
        name = display_name(c, rng, legal_p=0.0, typo_p=0.0, drop_accent_p=1.0, abbrev_p=0.2, upper=True)
        name += " " + rng.choice(["LIMITED", "LIMITED", "LTD"])
        status = "Active" if c.status == "active" else rng.choice(["Dissolved", "Liquidation"])
        prev = (c.previous_name.upper() + " LIMITED") if c.previous_name else None
        rows.append((ch_row(rng, name, c.chnum, uk_address(rng, c), status, c.founded, sics_of(c, rng), prev), c))
    for c in noise:
        rows.append((ch_row(rng, c.name, c.chnum, uk_address(rng, c), c.status, c.founded, c.sics), c))
    rng.shuffle(rows)
    parts = [(CH_HEADER + "\r\n").encode("utf-8")]
    n = len(rows)
    for i, (row, c) in enumerate(rows):
        if i == n // 5:
            num = ch_number(rng, world, (2023, 1, 1))
            bad = ch_row(rng, "BROKENDATE LIMITED", num, ("1 HIGH STREET", "", "LONDON", "", "ENGLAND", "EC1A 1BB"),
                         "Active", (2023, 1, 1), ["62012"])
            bad[14] = "31/02/2023"
            parts.append(csv_text([bad], quote_all=True).encode("utf-8"))
            out.malformed.append((fname, num, "bad_date"))
        if i == n // 2:
            num = ch_number(rng, world, (2022, 1, 1))
            bad = ch_row(rng, "BADUTF8 LIMITED", num, ("2 HIGH STREET", "", "LONDON", "", "ENGLAND", "EC1A 1BB"),
                         "Active", (2022, 6, 1), ["62012"])
            parts.append(csv_text([bad], quote_all=True).encode("utf-8").replace(b"BADUTF8", b"BAD\xe9\xff UTF8"))
            out.malformed.append((fname, num, "invalid_utf8"))
        if i == (4 * n) // 5:
            num = ch_number(rng, world, (2021, 1, 1))
            bad = ch_row(rng, "TRUNCATED ROW LIMITED", num, ("3 HIGH STREET", "", "LONDON", "", "ENGLAND", "EC1A 1BB"),
                         "Active", (2021, 6, 1), ["62012"])[:12]
            parts.append(csv_text([bad], quote_all=True).encode("utf-8"))
            out.malformed.append((fname, num, "wrong_column_count"))
        parts.append(csv_text([row], quote_all=True).encode("utf-8"))
        out.label(fname, c.chnum, c)
    out.write_bytes(fname, b"".join(parts))


SIRENE_HEADER = ["siren", "statutDiffusionUniteLegale", "unitePurgeeUniteLegale", "dateCreationUniteLegale",
                 "sigleUniteLegale", "sexeUniteLegale", "prenom1UniteLegale", "prenom2UniteLegale", "prenom3UniteLegale",
                 "prenom4UniteLegale", "prenomUsuelUniteLegale", "pseudonymeUniteLegale",
                 "identifiantAssociationUniteLegale", "trancheEffectifsUniteLegale", "anneeEffectifsUniteLegale",
                 "dateDernierTraitementUniteLegale", "nombrePeriodesUniteLegale", "categorieEntreprise",
                 "anneeCategorieEntreprise", "dateDebut", "etatAdministratifUniteLegale", "nomUniteLegale",
                 "nomUsageUniteLegale", "denominationUniteLegale", "denominationUsuelle1UniteLegale",
                 "denominationUsuelle2UniteLegale", "denominationUsuelle3UniteLegale", "categorieJuridiqueUniteLegale",
                 "activitePrincipaleUniteLegale", "nomenclatureActivitePrincipaleUniteLegale", "nicSiegeUniteLegale",
                 "economieSocialeSolidaireUniteLegale", "caractereEmployeurUniteLegale"]


def sirene_row(rng, siren, created, etat, denom, cj, naf_code, sole=None, usuelle="", sigle=""):
    last = "%sT%02d:%02d:%02d" % (iso(rand_date(rng, min(max(created[0], H - 6), H), H)), rng.randrange(24), rng.randrange(60),
                                  rng.randrange(60))
    tranche = rng.choice(["", "NN", "00", "01", "02", "03", "11"])
    row = [siren, "O", "", iso(created), sigle, "", "", "", "", "", "", "", "", tranche,
           "" if tranche in ("", "NN") else "2023", last, str(rng.randint(1, 6)), rng.choice(["PME", "PME", ""]),
           "2022", iso(rand_date(rng, min(created[0], H), H)), etat, "", "", denom, usuelle, "", "", cj, naf_code,
           "NAFRev2", "%05d" % rng.randint(10, 99999), "", rng.choice(["O", "N", "N"])]
    if sole:
        nom, prenom, sexe = sole
        row[5] = sexe
        row[6] = prenom
        row[10] = prenom
        row[21] = nom
    return row


def write_sirene(world, out, rng, members, noise):
    fname = "sirene.csv"
    rows = []
    for c in members:
        denom = strip_accents(display_name(c, rng, legal_p=0.0, typo_p=0.0, drop_accent_p=1.0, abbrev_p=0.2, upper=True))
        usuelle = ""
        if rng.random() < 0.15:
            usuelle = c.brand.upper()
        cj = SIRENE_CJ.get(c.legal, "5710")
        etat = "A" if c.status == "active" else "C"
        nafc = naf(sics_of(c, rng)[0])
        rows.append((sirene_row(rng, c.siren, c.founded, etat, denom, cj, nafc, usuelle=usuelle), c))
    for c in noise:
        if c.sole:
            rows.append((sirene_row(rng, c.siren, c.founded, c.status, "", "1000", c.naf,
                                    sole=(c.nom, c.prenom, rng.choice(["M", "F"]))), c))
        else:
            rows.append((sirene_row(rng, c.siren, c.founded, c.status, c.name, rng.choice(["5499", "5710", "6540", "5710"]),
                                    c.naf), c))
    rng.shuffle(rows)
    parts = [csv_text([SIRENE_HEADER]).encode("utf-8")]
    n = len(rows)
    for i, (row, c) in enumerate(rows):
        if i == n // 3:
            bad = sirene_row(rng, "12AB5", (2024, 2, 1), "A", "SIREN INVALIDE", "5710", "62.01Z")
            parts.append(csv_text([bad]).encode("utf-8"))
            out.malformed.append((fname, "12AB5", "invalid_siren"))
        if i == (2 * n) // 3:
            s = make_siren(rng, world.used_siren)
            bad = sirene_row(rng, s, (2024, 5, 2), "A", "SOCIETE BADUTF8", "5710", "62.01Z")
            parts.append(csv_text([bad]).encode("utf-8").replace(b"BADUTF8", b"D\xc3\x28ECHIRE"))
            out.malformed.append((fname, s, "invalid_utf8"))
        parts.append(csv_text([row]).encode("utf-8"))
        out.label(fname, c.siren, c)
    out.write_bytes(fname, b"".join(parts))


RA_OTHER = {"DE": ("RA000242", "HRB %d"), "US": ("RA000602", "%d"), "NL": ("RA000463", "%08d"),
            "ES": ("RA000780", "B%08d"), "IT": ("RA000407", "MI%07d"), "SE": ("RA000544", "559%07d")}
ELF = {"SAS": "6CHY", "SARL": "6R3E", "SA": "5RDO", "SASU": "6CHY", "Ltd": "H0PO", "GmbH": "2HBR", "AG": "6QQB"}


def gleif_record(rng, lei, legal_name, country, city, pc, addr1, ra, legal, status, reg_date, other_name=None):
    ra_xml = ""
    if ra:
        ra_xml = ("        <lei:RegistrationAuthority>\n          <lei:RegistrationAuthorityID>%s</lei:RegistrationAuthorityID>\n"
                  "          <lei:RegistrationAuthorityEntityID>%s</lei:RegistrationAuthorityEntityID>\n"
                  "        </lei:RegistrationAuthority>\n" % (ra[0], escape(ra[1])))
    else:
        ra_xml = ("        <lei:RegistrationAuthority>\n          <lei:RegistrationAuthorityID>RA999999</lei:RegistrationAuthorityID>\n"
                  "        </lei:RegistrationAuthority>\n")
    elf = ELF.get(legal)
    lf = ("          <lei:EntityLegalFormCode>%s</lei:EntityLegalFormCode>\n" % elf) if elf else \
        ("          <lei:EntityLegalFormCode>8888</lei:EntityLegalFormCode>\n"
         "          <lei:OtherLegalForm>%s</lei:OtherLegalForm>\n" % escape(legal.upper()))
    other = ""
    if other_name:
        other = ('        <lei:OtherEntityNames>\n          <lei:OtherEntityName xml:lang="en" type="PREVIOUS_LEGAL_NAME">%s'
                 '</lei:OtherEntityName>\n        </lei:OtherEntityNames>\n' % escape(other_name))
    name_xml = "        <lei:LegalName xml:lang=\"en\">%s</lei:LegalName>\n" % escape(legal_name) if legal_name is not None else ""
    addr = ("          <lei:FirstAddressLine>%s</lei:FirstAddressLine>\n          <lei:City>%s</lei:City>\n"
            "          <lei:Country>%s</lei:Country>\n          <lei:PostalCode>%s</lei:PostalCode>\n"
            % (escape(addr1), escape(city), country, escape(pc)))
    upd = rand_date(rng, min(max(reg_date[0], H - 1), H), H)
    return ("    <lei:LEIRecord>\n      <lei:LEI>%s</lei:LEI>\n      <lei:Entity>\n%s%s"
            "        <lei:LegalAddress xml:lang=\"en\">\n%s        </lei:LegalAddress>\n"
            "        <lei:HeadquartersAddress xml:lang=\"en\">\n%s        </lei:HeadquartersAddress>\n%s"
            "        <lei:LegalJurisdiction>%s</lei:LegalJurisdiction>\n        <lei:LegalForm>\n%s        </lei:LegalForm>\n"
            "        <lei:EntityStatus>%s</lei:EntityStatus>\n      </lei:Entity>\n      <lei:Registration>\n"
            "        <lei:InitialRegistrationDate>%sT00:00:00Z</lei:InitialRegistrationDate>\n"
            "        <lei:LastUpdateDate>%sT10:00:00Z</lei:LastUpdateDate>\n"
            "        <lei:RegistrationStatus>%s</lei:RegistrationStatus>\n"
            "        <lei:NextRenewalDate>%04d-%02d-%02dT00:00:00Z</lei:NextRenewalDate>\n"
            "        <lei:ManagingLOU>%s</lei:ManagingLOU>\n        <lei:ValidationSources>FULLY_CORROBORATED</lei:ValidationSources>\n"
            "      </lei:Registration>\n    </lei:LEIRecord>\n"
            % (lei, name_xml, other, addr, addr, ra_xml, country, lf, status, iso(reg_date), iso(upd),
               "ISSUED" if status == "ACTIVE" and rng.random() < 0.85 else "LAPSED", upd[0] + 1, upd[1], upd[2],
               lei[:4] + "00" + "0" * 12 + lei_check(lei[:4] + "00" + "0" * 12)))


def write_gleif(world, out, rng, members, noise_uk):
    fname = "gleif.xml"
    recs = []
    for c in members:
        name = display_name(c, rng, legal_p=1.0, typo_p=0.0, drop_accent_p=0.4, abbrev_p=0.1, upper=rng.random() < 0.5)
        ra = None
        if c.country == "GB" and c.chnum:
            ra = ("RA000585", c.chnum)
        elif c.country == "FR" and c.siren:
            ra = ("RA000189", c.siren)
        elif c.country in RA_OTHER and rng.random() < 0.7:
            r0, fmt = RA_OTHER[c.country]
            ra = (r0, fmt % rng.randint(10000, 9999999))
        inc = c.incubator
        addr1 = inc[1] if inc else "%d %s" % (rng.randint(1, 200), rng.choice(["Main Street", "Rue de la Paix", "Hauptstraße",
                                                                                  "Calle Mayor", "Via Roma", "Avenida Central"]))
        pc = inc[3] if inc else "%05d" % rng.randint(1000, 99999)
        status = "ACTIVE" if c.status == "active" else "INACTIVE"
        reg = rand_date(rng, min(max(c.founded[0], H - 9), H), H)
        prev = (c.previous_name + " " + c.legal) if c.previous_name else None
        recs.append((gleif_record(rng, c.lei, name, c.country, city_variant(c, rng, 0.3), pc, addr1, ra, c.legal,
                                  status, reg, prev), c))
    for c in noise_uk:
        addr = uk_address(rng, c)
        recs.append((gleif_record(rng, c.lei, c.name, "GB", addr[2], addr[5], addr[0], ("RA000585", c.chnum), "Ltd",
                                  "ACTIVE" if c.status.startswith("Active") else "INACTIVE", rand_date(rng, H - 11, H - 1)), c))
    rng.shuffle(recs)
    head = ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<lei:LEIData xmlns:gleif="http://www.gleif.org/concatenated-file/header-extension/2.0" '
            'xmlns:lei="http://www.gleif.org/data/schema/leidata/2016">\n  <lei:LEIHeader>\n'
            '    <lei:ContentDate>%d-12-31T08:00:00Z</lei:ContentDate>\n'
            '    <lei:FileContent>GLEIF_FULL_PUBLISHED</lei:FileContent>\n    <lei:RecordCount>%d</lei:RecordCount>\n'
            '  </lei:LEIHeader>\n  <lei:LEIRecords>\n' % (H, len(recs) + 1))
    parts = [head]
    for i, (x, c) in enumerate(recs):
        if i == len(recs) // 2:
            lei = make_lei(rng, world.used_lei)
            parts.append(gleif_record(rng, lei, None, "FR", "Paris", "75002", "1 Rue Sans Nom", None, "SAS", "ACTIVE",
                                      (2024, 1, 10)))
            out.malformed.append((fname, lei, "missing_name"))
        parts.append(x)
        out.label(fname, c.lei, c)
    parts.append("  </lei:LEIRecords>\n</lei:LEIData>\n")
    out.write_bytes(fname, "".join(parts).encode("utf-8"))


def write_json(world, out, rng, members):
    items = []
    for c in members:
        key = "sr-%06d" % rng.randint(1, 999999)
        name = display_name(c, rng, legal_p=0.4, typo_p=0.03, drop_accent_p=0.1)
        r = rng.random()
        founded = iso(c.founded) if r < 0.5 else (dmy(c.founded) if r < 0.8 else "%04d" % c.founded[0])
        it = {"id": key, "name": name,
              "website": website_variant(c, rng, bare_p=0.3) if rng.random() < 0.9 else None,
              "country": country_variant(c, rng, ("iso2", "en", "native")),
              "city": city_variant(c, rng),
              "founded": founded,
              "status": "active" if c.status == "active" else "closed",
              "tags": categories(c, rng),
              "description": description(c, rng, "en")}
        items.append((it, c))
    # unique ids
    seen = set()
    for it, c in items:
        while it["id"] in seen:
            it["id"] = "sr-%06d" % rng.randint(1, 999999)
        seen.add(it["id"])
    rng.shuffle(items)
    bad1 = {"id": "sr-broken-1", "name": None, "website": "https://noname-api.example.com", "country": "FR",
            "city": "Paris", "founded": "2024-01-01", "status": "active", "tags": [], "description": "No name"}
    bad2 = {"id": "sr-broken-2", "name": "Wrongdate Robotics", "website": "https://wrongdate.example.com",
            "country": "DE", "city": "Berlin", "founded": "2024-02-31", "status": "active", "tags": ["Robotics"],
            "description": "An impossible founding date"}
    half = len(items) // 2
    page1 = [it for it, _ in items[:half]]
    page2 = [it for it, _ in items[half:]]
    page1.insert(len(page1) // 2, bad1)
    page2.insert(len(page2) // 2, bad2)
    out.malformed.append(("api_page1.json", "sr-broken-1", "missing_name"))
    out.malformed.append(("api_page2.json", "sr-broken-2", "bad_date"))
    for i, (it, c) in enumerate(items):
        out.label("api_page1.json" if i < half else "api_page2.json", it["id"], c)
    p1 = {"data": page1, "links": {"next": "api_page2.json"}, "meta": {"page": 1, "total": len(items) + 2}}
    p2 = {"data": page2, "links": {"next": None}, "meta": {"page": 2, "total": len(items) + 2}}
    for fname, page in (("api_page1.json", p1), ("api_page2.json", p2)):
        # one item per line: readable, diffable and small
        lines = ",\n".join("  " + json.dumps(it, ensure_ascii=False) for it in page["data"])
        text = '{"data": [\n%s\n ],\n "links": %s,\n "meta": %s}\n' % (
            lines, json.dumps(page["links"]), json.dumps(page["meta"]))
        json.loads(text)
        out.write_bytes(fname, text.encode("utf-8"))


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, required=True, help="number of true startups")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--years", default="2024,2025")
    ap.add_argument("--formats", default=",".join(ALL_FORMATS))
    ap.add_argument("--noise", type=float, default=0.4, help="registry noise rows per registry, as a fraction of N")
    a = ap.parse_args(argv)
    years = [int(y) for y in a.years.split(",") if y.strip()]
    if not years:
        ap.error("--years: at least one year")
    global H
    H = max(years)
    formats = [f.strip() for f in a.formats.split(",") if f.strip()]
    for f in formats:
        if f not in ALL_FORMATS:
            ap.error("unknown format %r (known: %s)" % (f, ",".join(ALL_FORMATS)))
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    world = World(rng, a.n, years)
    comps = world.companies

    # Which sources see which startup.
    member = {f: [] for f in ALL_FORMATS}
    for c in comps:
        seen = []
        if rng.random() < 0.55:
            seen.append("rss")
        if rng.random() < 0.35:
            seen.append("atom")
        if c.country == "DE" and rng.random() < 0.6:
            seen.append("rdf")
        if not any(s in seen for s in ("rss", "atom", "rdf")) and rng.random() < 0.8:
            seen.append(rng.choice(["rss", "rss", "atom"]))
        if rng.random() < 0.45:
            seen.append("crunchbase")
        if c.country == "GB" and rng.random() < 0.8:
            seen.append("companies_house")
        if c.country == "FR" and rng.random() < 0.85:
            seen.append("sirene")
        if rng.random() < (0.25 if c.country in ("GB", "FR") else 0.07):
            seen.append("gleif")
        if rng.random() < 0.25:
            seen.append("json")
        seen = [s for s in seen if s in formats]
        if not seen:
            fallback = [f for f in ("rss", "atom", "crunchbase", "json") if f in formats] or formats
            seen = [rng.choice(fallback)]
        c.sources = seen
        if c.country == "GB":
            c.chnum = ch_number(rng, world, c.founded)
        if c.country == "FR":
            c.siren = make_siren(rng, world.used_siren)
        if "gleif" in seen:
            c.lei = make_lei(rng, world.used_lei)
        for s in seen:
            member[s].append(c)

    # Registry noise.
    n_noise = int(a.n * a.noise)
    noise_uk, noise_fr = [], []
    if "companies_house" in formats:
        for i in range(n_noise):
            c = noise_company_uk(rng, i + 1, world)
            c.chnum = ch_number(rng, world, c.founded)
            c.lei = None
            noise_uk.append(c)
    if "sirene" in formats:
        for i in range(n_noise):
            noise_fr.append(noise_company_fr(rng, i + 1, world))
    noise_uk_gleif = []
    if "gleif" in formats:
        for c in noise_uk:
            if rng.random() < 0.08:
                c.lei = make_lei(rng, world.used_lei)
                noise_uk_gleif.append(c)

    out = Out(a.out)
    if "rss" in formats:
        write_rss(world, out, random.Random(rng.random()), member["rss"])
    if "atom" in formats:
        write_atom(world, out, random.Random(rng.random()), member["atom"])
    if "rdf" in formats:
        write_rdf(world, out, random.Random(rng.random()), member["rdf"])
    if "crunchbase" in formats:
        write_crunchbase(world, out, random.Random(rng.random()), member["crunchbase"])
    if "companies_house" in formats:
        write_companies_house(world, out, random.Random(rng.random()), member["companies_house"], noise_uk)
    if "sirene" in formats:
        write_sirene(world, out, random.Random(rng.random()), member["sirene"], noise_fr)
    if "gleif" in formats:
        write_gleif(world, out, random.Random(rng.random()), member["gleif"], noise_uk_gleif)
    if "json" in formats:
        write_json(world, out, random.Random(rng.random()), member["json"])

    out.write_bytes("truth.csv", csv_text([["source_file", "source_key", "true_id", "relevant", "domain"]] +
                                          [list(t) for t in out.truth]).encode("utf-8"))
    out.write_bytes("malformed.csv", csv_text([["source_file", "source_key", "defect"]] +
                                              [list(t) for t in out.malformed]).encode("utf-8"))
    rows = [["true_id", "kind", "name", "country", "city", "website", "founded", "cohort", "first_published", "sector",
             "relevant", "domain", "status", "hard_negative_of", "sources"]]
    for c in comps:
        rows.append([c.id, c.kind, c.brand + (" " + c.descriptor if c.descriptor else "") + " " + c.legal, c.country,
                     c.city[0], c.website, iso(c.founded), c.cohort, iso(c.published), c.sector, c.relevant,
                     c.tax_domain, c.status, c.hard_negative_of, " ".join(c.sources)])
    for c in noise_uk + noise_fr:
        nm = c.name or ("%s %s" % (c.prenom, c.nom))
        rows.append([c.id, c.kind, nm, c.country, "", "", iso(c.founded), "", "", c.sector, 0, "", c.status, "", ""])
    out.write_bytes("startups.csv", csv_text(rows).encode("utf-8"))

    nrel = sum(c.relevant for c in comps)
    sys.stderr.write("gen_startups: %d startups (%d relevant, %.1f%%), %d registry noise, %d records, %d malformed -> %s\n"
                     % (len(comps), nrel, 100.0 * nrel / max(1, len(comps)), len(noise_uk) + len(noise_fr),
                        len(out.truth), len(out.malformed), a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fixed pools the `seed_demo` command draws from: configuration, people, citations, and the
transition paths that bring a demo request to each status the way real work would.

Everything here is plain data (no database access) so the command stays readable. Domains are under
`.example` (RFC 2606) and DOIs under the 10.5555 test prefix: nothing points at a real service.
"""

import random

# --- configuration ---------------------------------------------------------------------------------

LIBRARIES = [
    {"code": "MAIN", "name": "Main Library", "email": "kaukopalvelu@main.illdesk.example", "language": "fi",
     "address": "Yliopistonkatu 1\n00100 Helsinki", "auto_locate": True},
    {"code": "SCI", "name": "Science Library", "email": "ill@science.illdesk.example", "language": "en",
     "address": "Gustaf Hällströmin katu 2\n00560 Helsinki"},
]

PICKUP_LOCATIONS = [  # code, library, name, kind
    ("MAIN-DESK", "MAIN", "Main Library – circulation desk", "library"),
    ("MAIN-RR", "MAIN", "Main Library – reading room", "reading_room"),
    ("MAIN-HOME", "MAIN", "Home delivery (Main Library)", "personal_delivery"),
    ("SCI-DESK", "SCI", "Science Library – service desk", "library"),
    ("SCI-RR", "SCI", "Science Library – rare books reading room", "reading_room"),
    ("SCI-DEPT", "SCI", "Department mail (Science)", "personal_delivery"),
]

LEVELS = [("STANDARD", "Standard", 1), ("EXPRESS", "Express", 2), ("RUSH", "Rush (same day)", 3)]

CATEGORIES = [  # code, name, may_request, request_limit
    ("STAFF", "Staff", True, None),
    ("STUDENT", "Student", True, 10),
    ("RESEARCHER", "Researcher", True, None),
    ("ALUMNI", "Alumni", False, None),
]

TAGS = ["urgent", "rare", "thesis", "course reserve", "copyright check", "oversize"]

_ALL_STEPS = ["conditional", "will_supply", "reject", "damaged_communicated", "lost_communicated",
              "staff_renewal", "renew_response", "recall", "cancel_recall", "supports_cancel",
              "checked_in_message", "lender_check_in", "waiting_for_digital_receipt", "reactivate"]


def _steps(*on: str) -> dict[str, bool]:
    return {step: step in on for step in _ALL_STEPS}


PROFILES = {  # code: (name, steps)
    "FULL_ISO": ("Full ISO peer", _steps(*_ALL_STEPS)),
    "EMAIL_BASIC": ("Email partner basic", _steps("will_supply", "reject", "damaged_communicated", "recall",
                                                  "lost_communicated", "staff_renewal", "reactivate")),
    "NO_COND": ("No conditional", _steps("will_supply", "reject", "staff_renewal", "renew_response", "recall",
                                         "supports_cancel", "checked_in_message", "reactivate")),
    "DIGITAL": ("Digital only (waits for digital receipt)", _steps("will_supply", "reject", "supports_cancel",
                                                                   "waiting_for_digital_receipt",
                                                                   "reactivate")),
    "SUPPLIER": ("External supplier (nothing optional)", _steps()),
}

def iso_secret(code: str) -> str:
    """The demo's shared secret with an ISO 18626 partner (DEMO-PEER's is the README's two-instance recipe's)."""
    return f"demo-secret-{code.lower()}"


# code, name, profile type, agency id type, agency id value, endpoint, email, language, profile, active
PARTNERS = [
    ("DEMO-PEER", "Peer University Library (demo illdesk peer)", "iso18626", "ISIL", "ZZ-PEER",
     "http://127.0.0.1:8001/iso18626", "ill@peer.example", "en", "FULL_ISO", True),
    ("FI-JYU", "Jyväskylän yliopiston kirjasto", "iso18626", "ISIL", "FI-J",
     "https://ill.jyu.example/iso18626", "kaukopalvelu@jyu.example", "fi", "FULL_ISO", True),
    ("SE-KB", "Kungliga biblioteket", "iso18626", "ISIL", "SE-S",
     "https://fjarrlan.kb.example/iso18626", "fjarrlan@kb.example", "en", "NO_COND", True),
    ("NO-NTNU", "NTNU Universitetsbiblioteket", "iso18626", "OCLC", "NTNUB",
     "https://ill.ntnu.example/iso18626", "fjernlan@ntnu.example", "en", "DIGITAL", True),
    ("DE-SBB", "Staatsbibliothek zu Berlin", "iso18626", "ISIL", "DE-1",
     "https://fernleihe.sbb.example/iso18626", "fernleihe@sbb.example", "en", "FULL_ISO", True),
    ("FI-OULU", "Oulun yliopiston kirjasto", "email", "", "", "", "kaukopalvelu@oulu.example", "fi",
     "EMAIL_BASIC", True),
    ("FI-TUNI", "Tampereen yliopiston kirjasto", "email", "ISIL", "FI-TAY", "", "kaukopalvelu@tuni.example",
     "fi", "EMAIL_BASIC", True),
    ("SE-UU", "Uppsala universitetsbibliotek", "email", "ISIL", "SE-UU", "", "fjarrlan@ub.uu.example", "en",
     "NO_COND", True),
    ("FI-ABO", "Åbo Akademis bibliotek", "email", "", "", "", "fjarrlan@abo.example", "en", "EMAIL_BASIC",
     True),
    ("JP-NDL", "国立国会図書館 National Diet Library", "email", "", "", "", "ill@ndl.example", "en",
     "EMAIL_BASIC", True),
    ("FI-UEF", "Itä-Suomen yliopiston kirjasto", "ncip_p2p", "ISIL", "FI-UEF", "", "kaukopalvelu@uef.example",
     "fi", "NO_COND", True),
    ("SE-LUB", "Lunds universitetsbibliotek", "ncip_p2p", "ISIL", "SE-L", "", "fjarrlan@lub.example", "en",
     "NO_COND", True),
    ("BL-BLDSS", "British Library On Demand (BLDSS)", "external", "", "", "", "dsc@bl.example", "en",
     "SUPPLIER", True),
    ("SUBITO", "Subito Dokumentlieferdienst", "external", "", "", "", "service@subito.example", "en",
     "SUPPLIER", True),
    ("CCC-GIN", "CCC GetItNow", "external", "", "", "", "getitnow@ccc.example", "en", "SUPPLIER", True),
    ("FI-VARASTO", "Varastokirjasto (closed)", "email", "", "", "", "kaukopalvelu@varasto.example", "fi",
     "EMAIL_BASIC", False),
]

ROTA_TEMPLATES = {  # code: (name, partner codes in order)
    "FI-UNIV": ("Finnish universities", ["FI-JYU", "FI-TUNI", "FI-OULU", "FI-UEF"]),
    "NORDIC-ISO": ("Nordic ISO peers", ["DEMO-PEER", "SE-KB", "NO-NTNU"]),
}

RULES = [  # name, priority, template, conditions, send automatically
    ("Digital articles → Nordic ISO peers", 10, "NORDIC-ISO",
     {"requested_format": "digital", "request_type": "article"}, True),
    ("Science Library books → Finnish universities", 20, "FI-UNIV", {"owner": "SCI", "request_type": "book"},
     False),
    ("Express service → Nordic ISO peers", 30, "NORDIC-ISO", {"level_of_service": "EXPRESS"}, True),
]

# --- people ----------------------------------------------------------------------------------------

STAFF = [  # username, first, last, groups (role constant names in illdesk.roles), staff, superuser
    ("operator", "Olli", "Operaattori", ["OPERATOR"], False, False),
    ("operator2", "Oona", "Korhonen", ["OPERATOR"], False, False),
    ("operator3", "Oscar", "Lindqvist", ["OPERATOR"], False, False),
    ("manager", "Maija", "Manageri", ["OPERATOR", "MANAGER"], False, False),
    ("admin", "Aino", "Admin", ["ADMIN"], True, True),
    ("patron", "Pia", "Lukija", [], False, False),
]

PATRONS = [  # first, last, language, category; the first one is the `patron` login
    ("Pia", "Lukija", "fi", "STUDENT"), ("Aino", "Virtanen", "fi", "STUDENT"),
    ("Matti", "Korhonen", "fi", "RESEARCHER"), ("Liisa", "Mäkinen", "fi", "STAFF"),
    ("Juha", "Nieminen", "fi", "RESEARCHER"), ("Sanna", "Heikkinen", "fi", "STUDENT"),
    ("Timo", "Hämäläinen", "en", "RESEARCHER"), ("Kaisa", "Laine", "fi", "STUDENT"),
    ("Jussi", "Koskinen", "en", "STAFF"), ("Elina", "Järvinen", "fi", "RESEARCHER"),
    ("Ville", "Lehtonen", "fi", "STUDENT"), ("Emily", "Clarke", "en", "RESEARCHER"),
    ("James", "O'Brien", "en", "STUDENT"), ("Sophie", "Turner", "en", "STAFF"),
    ("Daniel", "Wright", "en", "STUDENT"), ("Anna-Karin", "Sjöberg", "en", "RESEARCHER"),
    ("Wei", "Zhang", "en", "RESEARCHER"), ("Sakura", "Tanaka", "en", "STUDENT"),
    ("Olivia", "Bennett", "en", "STUDENT"), ("Eero", "Salonen", "fi", "ALUMNI"),
    ("Helmi", "Saarinen", "fi", "STUDENT"),
]

BORROWER_PATRONS = ["K. Andersson", "M. Berg", "L. Nilsson", "T. Mäkelä", "R. Schmidt", "H. Suzuki",
                    "A. Johansen", "E. Lindgren", "P. Kallio", "S. Weber"]

# --- citations -------------------------------------------------------------------------------------

# title, author, publisher, place, year, ISBN prefix (check digit is computed)
BOOKS = [
    ("Seitsemän veljestä", "Kivi, Aleksis", "Suomalaisen Kirjallisuuden Seura", "Helsinki", "2009",
     "978951746"),
    ("Tuntematon sotilas", "Linna, Väinö", "WSOY", "Helsinki", "2000", "978951029"),
    ("Tutki ja kirjoita", "Hirsjärvi, Sirkka", "Tammi", "Helsinki", "2009", "978951312"),
    ("Kalevala ja sen tulkinnat", "Siikala, Anna-Leena", "Suomalaisen Kirjallisuuden Seura", "Helsinki",
     "2012", "978952222"),
    ("Suomen kielen äänne- ja muotorakenne", "Karlsson, Fred", "WSOY", "Helsinki", "1983", "978951011"),
    ("Ympäristöpolitiikan perusteet", "Massa, Ilmo", "Gaudeamus", "Helsinki", "2009", "978952495"),
    ("Kehityspsykologia: lapsuus ja nuoruus", "Nurmi, Jari-Erik", "Sanoma Pro", "Helsinki", "2014",
     "978952630"),
    ("Interlibrary loan practices handbook", "Weible, Cherié L.", "ALA Editions", "Chicago", "2011",
     "978083891"),
    ("Introduction to algorithms", "Cormen, Thomas H.", "MIT Press", "Cambridge, MA", "2009", "978026203"),
    ("The structure of scientific revolutions", "Kuhn, Thomas S.", "University of Chicago Press", "Chicago",
     "1996", "978022645"),
    ("Arctic ecology", "Thomas, David N.", "Wiley", "Hoboken", "2021", "978111895"),
    ("Nordic welfare states in the European context", "Kautto, Mikko", "Routledge", "London", "2001",
     "978041523"),
    ("Principles of neural science", "Kandel, Eric R.", "McGraw-Hill", "New York", "2013", "978007139"),
    ("A history of Finland", "Meinander, Henrik", "Hurst", "London", "2011", "978184904"),
    ("Svensk bokhistoria", "Björkbom, Carl", "Natur och Kultur", "Stockholm", "1961", "978912700"),
    ("Medieval manuscripts of the Baltic region", "Heikkilä, Tuomas", "Brepols", "Turnhout", "2018",
     "978250357"),
    ("ノルウェイの森", "村上, 春樹", "講談社", "東京", "1987", "978406203"),
    ("黄金时代", "王, 小波", "北京十月文艺出版社", "北京", "2017", "978753021"),
    ("채식주의자", "한, 강", "창비", "파주", "2007", "978893640"),
    ("Peatland ecology and carbon cycling", "Laine, Jukka", "Springer", "Cham", "2020", "978303039"),
    ("Open access and the academic library", "Suber, Peter", "MIT Press", "Cambridge, MA", "2012",
     "978026251"),
    ("Finnish grammar in context", "White, Leila", "Routledge", "London", "2019", "978113820"),
]

# journal, ISSN prefix (7 digits; check digit computed), article title, article author, year
ARTICLES = [
    ("Interlending & Document Supply", "0264161", "Measuring turnaround time in Nordic resource sharing",
     "Lindholm, Eeva", "2022"),
    ("Interlending & Document Supply", "0264161", "ISO 18626 in practice: lessons from a national roll-out",
     "Hakala, Juha", "2021"),
    ("Journal of Interlibrary Loan, Document Delivery & Electronic Reserve", "1072303",
     "Automating borrowing workflows with rota rules", "Nguyen, Thi", "2020"),
    ("Informaatiotutkimus", "1797912", "Kaukopalvelun muutos yliopistokirjastoissa 2010–2020",
     "Salminen, Riikka", "2021"),
    ("Duodecim", "0012718", "Tyypin 2 diabeteksen hoito perusterveydenhuollossa", "Virtanen, Pekka", "2019"),
    ("Historiallinen Aikakauskirja", "0018236", "Kirjastot ja kansallinen herääminen 1800-luvun Suomessa",
     "Mäkinen, Ilkka", "2018"),
    ("Acta Oncologica", "0284186", "Long-term outcomes of adjuvant therapy in Nordic breast cancer cohorts",
     "Andersson, Karin", "2023"),
    ("Boreal Environment Research", "1239609", "Snow cover trends in southern Finland, 1960–2020",
     "Luojus, Kari", "2022"),
    ("Nature", "0028083", "Global patterns of peatland carbon loss", "Smith, Jane", "2023"),
    ("The Lancet", "0140673", "Antimicrobial resistance surveillance across Europe", "García, Marta", "2022"),
    ("日本図書館情報学会誌", "1344866", "大学図書館における相互貸借の現状", "佐藤, 健", "2020"),
    ("Scandinavian Journal of History", "0346875", "Swedish-Finnish book trade networks in the 18th century",
     "Sjöberg, Anna-Karin", "2019"),
]

CHAPTERS = [  # book title, editor, chapter title, chapter author, pages, year, ISBN prefix
    ("Oxford handbook of the history of libraries", "Black, Alistair (ed.)",
     "Resource sharing before the web", "Jones, Sarah", "211-234", "2020", "978019880"),
    ("Suomen kirjallisuushistoria 2", "Varpio, Yrjö (toim.)", "Realismin läpimurto", "Rojola, Lea", "45-78",
     "1999", "978951746"),
    ("Handbook of Arctic indigenous peoples", "Nuttall, Mark (ed.)", "Sámi language revitalisation",
     "Pietikäinen, Sari", "301-318", "2016", "978041573"),
    ("Digital humanities in the Nordic countries", "Hessel, Ana (ed.)", "Digitised newspapers as data",
     "Tolonen, Mikko", "87-104", "2021", "978303051"),
]

THESES = [  # title, author, university, year, kind
    ("Resource sharing networks in Nordic academic libraries", "Lindholm, Eeva", "University of Helsinki",
     "2021", "Master's thesis"),
    ("Kaukopalvelun kehittäminen yliopistokirjastossa", "Salminen, Riikka", "Tampereen yliopisto", "2019",
     "Pro gradu -tutkielma"),
    ("Machine learning methods for peatland carbon flux estimation", "Aalto, Juha",
     "University of Eastern Finland", "2022", "Doctoral dissertation"),
    ("Språkbyte och identitet i Österbotten", "Nyqvist, Maria", "Åbo Akademi", "2018", "Doktorsavhandling"),
]

CONFERENCES = [  # proceedings title, paper title, author, year, place
    ("Proceedings of the IFLA World Library and Information Congress", "Shared print and shared lending",
     "Kallio, Petra", "2019", "Athens"),
    ("Proceedings of the Nordic Conference on Computational Linguistics",
     "Lemmatisation of historical Finnish", "Koskenniemi, Kimmo", "2023", "Tórshavn"),
    ("Proceedings of the International Conference on Theory and Practice of Digital Libraries",
     "Metadata quality in union catalogues", "Borg, Erik", "2022", "Padua"),
]

JOURNAL_ISSUES = [  # journal, ISSN prefix, year, volume, issue
    ("Interlending & Document Supply", "0264161", "2020", "48", "2"),
    ("Historiallinen Aikakauskirja", "0018236", "1965", "63", "4"),
    ("Scandinavian Journal of History", "0346875", "1990", "15", "1-2"),
]

OTHERS = [  # title, author, publisher, year
    ("Suomen geologinen kartta 1:100 000, lehti 2041", "Geologian tutkimuskeskus", "GTK", "1975"),
    ("Sinfonia nro 5 Es-duuri op. 82 (partituuri)", "Sibelius, Jean", "Wilhelm Hansen", "1921"),
    ("Kotimaan katsaus 1962 (DVD)", "Suomen Filmiteollisuus", "KAVI", "2012"),
]

# Lending inventory: our own titles, so partners' requests can be located.
BIB_EXTRA = [  # title, author, publisher, year, ISBN prefix or "", ISSN prefix or ""
    ("Helsingin yliopiston historia 1917–1990", "Klinge, Matti", "Otava", "1990", "978951105", ""),
    ("Flora Fennica", "Hämet-Ahti, Leena", "Helsingin yliopisto", "1998", "978951457", ""),
    ("Suomen lintuatlas", "Valkama, Jari", "Luonnontieteellinen keskusmuseo", "2011", "978952107", ""),
    ("Acta Philosophica Fennica", "", "Societas Philosophica Fennica", "", "", "0355175"),
    ("Suomen Lääkärilehti", "", "Suomen Lääkäriliitto", "", "", "0039561"),
    ("Arkhimedes", "", "Suomen Fyysikkoseura", "", "", "0004140"),
    ("Finnish folk poetry: epic", "Kuusi, Matti", "Suomalaisen Kirjallisuuden Seura", "1977", "978951717",
     ""),
    ("Atlas of Finland", "Maanmittaushallitus", "Otava", "1993", "978951115", ""),
]

EVENT_NAMES = ["BLDSS: Dispatched", "BLDSS: Awaiting despatch", "BLDSS: Order placed",
               "Libris: Order received", "Libris: Delivered"]

REJECT_REASONS = ["NotOwned", "InUseOnLoan", "NonCirculating", "NotOnShelf", "PoorCondition",  # reasons.py
                  "NotFoundAsCited", "Lacking"]

INTERNAL_NOTES = ["Patron asked to be phoned on arrival.", "Local holdings checked: our copy is missing.",
                  "Tarkista tekijänoikeus ennen lähettämistä.", "Invoice expected separately.",
                  "Patron is on field work until next month."]
TO_PARTNER_NOTES = ["Please send by courier if possible.", "Any edition is acceptable.",
                    "Pelkkä artikkeli riittää.", "We can pay up to 25 EUR."]
FROM_PARTNER_NOTES = ["Item is fragile: reading room use only.", "Shipped with tracking number JJFI6512345.",
                      "Lainaaja: palautus kuukauden sisällä.", "Renewal possible once."]
MESSAGES_SENT = ["Could you confirm the expected shipping date?", "The patron no longer needs volume 2.",
                 "Voisitteko tarkistaa, onko nide saatavilla?"]
MESSAGES_RECEIVED = ["Our copy is at the bindery; expect a delay of two weeks.",
                     "We can supply a scan of pages 45–78 instead.", "Aineisto postitettu tänään."]
ALERTS = ["Partner sent a renewal request", "Borrower cancelled the request", "Due date has passed",
          "New note from partner", "Conditional reply received"]

# --- how far each status is into a request's life ---------------------------------------------------

# Minimum age in days of a request in that status (late statuses are older); statuses not listed: 0.
MIN_AGE_BORROWING = {
    "sent": 1, "accepted": 1, "will_supply": 2, "conditional": 2, "rejected_by_partner": 2,
    "waiting_cancel_response": 2, "cancelled_by_partner": 2, "shipped_physically": 3, "shipped_digitally": 2,
    "received_physically": 4, "received_digitally": 3, "received_non_returnable": 4, "loaned_to_patron": 6,
    "returned_by_patron": 20, "returned_to_partner": 22, "lender_checked_in": 25, "renew_requested": 25,
    "renewed_by_partner": 26, "renew_not_accepted": 26, "mediated_patron_renewal": 25,
    "recalled_by_partner": 12, "overdue": 35, "damaged_communicated": 15, "lost_communicated": 40,
    "declared_lost_by_partner": 40, "completed": 10, "expired": 30,
}
MIN_AGE_LENDING = {
    "shipped_physically": 2, "shipped_digitally": 1, "received_by_partner": 4, "renew_requested": 25,
    "overdue": 35, "recalled": 12, "returned_by_partner": 20, "lost": 40, "damaged": 20,
    "lender_check_in": 25, "completed": 8, "expired": 30, "borrower_recall": 12, "staff_renewal": 25,
    "renewal_response": 25, "patron_renewal": 25,
}

# Extra weight (beyond the 3 every status gets) when spreading requests over statuses.
WEIGHT_BORROWING = {"created": 30, "pending_approval": 8, "ready_to_send": 10, "locate_failed": 6, "sent": 25,
                    "accepted": 8, "will_supply": 10, "shipped_physically": 12, "shipped_digitally": 6,
                    "received_physically": 10, "loaned_to_patron": 25, "returned_by_patron": 6,
                    "returned_to_partner": 8, "overdue": 8, "recalled_by_partner": 4, "completed": 25,
                    "cancelled": 6, "received_digitally": 10, "rejected_by_partner": 5}
WEIGHT_LENDING = {"created": 14, "being_processed": 10, "will_supply": 6, "locate_failed": 6,
                  "shipped_physically": 14, "received_by_partner": 10, "overdue": 5, "returned_by_partner": 5,
                  "completed": 16, "shipped_digitally": 6, "rejected": 5}

NON_RET = "physical_non_returnable"

# --- transition paths ------------------------------------------------------------------------------
# Steps are (transition, kwargs). Kwarg values starting with "@" are filled in per request
# (@due, @reply_by, @record, @item). "SHIP" is ship_physically or ship_non_returnable by format;
# "OVERDUE" is the ISO lender's overdue message or, for other partners, staff marking it by hand.

_SEND = [("send", {})]
_SHIPPED_P = [*_SEND, ("partner_will_supply", {}), ("partner_shipped_physically", {})]
_RECEIVED_P = [*_SHIPPED_P, ("receive", {"received_format": "physical"})]
_LOANED = [*_RECEIVED_P, ("check_out_to_patron", {})]
_LOCATE = [("start_locate", {})]
_RETURNED = [*_LOANED, ("return_item", {})]

BORROWING_PATHS = {
    "ready_to_send": [*_LOCATE, ("finish_locate", {"outcome": "ready_to_send"})],
    "locate_in_process": _LOCATE,
    "locate_failed": [*_LOCATE, ("finish_locate", {"outcome": "locate_failed"})],
    "bad_citation": [*_LOCATE, ("finish_locate", {"outcome": "bad_citation"})],
    "local_holding": [*_LOCATE, ("finish_locate", {"outcome": "local_holding"})],
    "sent": _SEND,
    "accepted": [*_SEND, ("partner_accepted", {})],
    "will_supply": [*_SEND, ("partner_will_supply", {})],
    "conditional": [*_SEND, ("partner_conditional", {})],
    "rejected_by_partner": [*_SEND, ("partner_unfilled", {})],
    "shipped_physically": _SHIPPED_P,
    "shipped_digitally": [*_SEND, ("partner_shipped_digitally", {})],
    "received_physically": _RECEIVED_P,
    "received_digitally": [*_SEND, ("partner_shipped_digitally", {}),
                           ("receive", {"received_format": "digital"})],
    "received_non_returnable": [*_SHIPPED_P, ("receive", {"received_format": NON_RET})],
    "loaned_to_patron": _LOANED,
    "returned_by_patron": [*_LOANED, ("return_item", {"at_other_desk": True})],
    "returned_to_partner": _RETURNED,
    "lender_checked_in": [*_RETURNED, ("partner_checked_in", {})],
    "renew_requested": [*_LOANED, ("request_renew", {})],
    "renewed_by_partner": [*_LOANED, ("request_renew", {}), ("partner_renew_answer", {"accepted": True,
                                                                                       "due_date": "@due"})],
    "renew_not_accepted": [*_LOANED, ("request_renew", {}), ("partner_renew_answer", {"accepted": False})],
    "mediated_patron_renewal": [*_LOANED, ("patron_asks_renewal", {})],
    "recalled_by_partner": [*_LOANED, ("partner_recalled", {"due_date": "@due"})],
    "overdue": [*_LOANED, ("OVERDUE", {})],
    "damaged_communicated": [*_LOANED, ("report_damaged", {})],
    "lost_communicated": [*_LOANED, ("report_lost", {})],
    "declared_lost_by_partner": [*_LOANED, ("partner_declared_lost", {})],
    "waiting_cancel_response": [*_SEND, ("request_cancel", {})],
    "exported_to_third_party": [("export_to_third_party", {})],
    "externally_obtained": [("obtain_externally", {})],
    "reactivated": [("cancel", {}), ("reactivate", {})],
    "cancelled_by_partner": [*_SEND, ("partner_cancelled", {})],
    "cancelled_by_patron": [("patron_cancel", {})],
    "cancelled": [("cancel", {})],
    "expired": [*_SEND, ("expire", {})],
    "completed": [*_RETURNED, ("partner_checked_in", {}), ("complete", {})],
}
# Completed non-returnable copies close when handed to the patron.
BORROWING_COMPLETED_NON_RETURNABLE = [*_SHIPPED_P, ("receive", {"received_format": NON_RET}),
                                      ("loan_to_patron", {})]

_LOCATED = [("locate", {"outcome": "located", "record": "@record"})]
_SHIP = [*_LOCATED, ("start_processing", {}), ("SHIP", {})]
_RECEIVED = [*_SHIP, ("borrower_received", {})]
_RETURNED_L = [*_RECEIVED, ("borrower_shipped_return", {})]
_NOT_FOUND = [("locate", {"outcome": "not_located"})]

LENDING_PATHS = {
    "being_processed": [*_LOCATED, ("start_processing", {})],
    "will_supply": [*_LOCATED, ("will_supply", {})],
    "conditional": [*_LOCATED, ("conditional", {"reason": "Reading room use only", "reply_by": "@reply_by"})],
    "locate_failed": _NOT_FOUND,
    "pending_auto_reject": [*_NOT_FOUND, ("schedule_auto_reject", {})],
    "rejected": [*_NOT_FOUND, ("reject", {"reason": "NotOwned"})],
    "shipped_physically": _SHIP,
    "shipped_digitally": [*_LOCATED, ("start_processing", {}), ("ship_digitally", {})],
    "received_by_partner": _RECEIVED,
    "renew_requested": [*_RECEIVED, ("borrower_requests_renewal", {})],
    "renewal_response": [*_RECEIVED, ("borrower_requests_renewal", {})],
    "overdue": [*_RECEIVED, ("mark_overdue", {})],
    "recalled": [*_RECEIVED, ("recall", {"due_date": "@due"})],
    "borrower_recall": _RECEIVED,
    "staff_renewal": _RECEIVED,
    "patron_renewal": _RECEIVED,
    "returned_by_partner": _RETURNED_L,
    "lender_check_in": _RETURNED_L,
    "lost": [*_RECEIVED, ("mark_lost", {})],
    "damaged": [*_RETURNED_L, ("mark_damaged", {})],
    "completed": [*_RETURNED_L, ("check_in", {})],
    "cancel_reply": [("borrower_requests_cancel", {})],
    "cancelled": [("borrower_cancelled", {})],
    "expired": [("expire", {})],
    "reactivated": [*_NOT_FOUND, ("reject", {"reason": "NotOnShelf"}), ("reactivate", {})],
    "non_expiring": _LOCATED,
}
LENDING_COMPLETED_DIGITAL = [*_LOCATED, ("start_processing", {}), ("ship_digitally", {})]


# --- identifiers -----------------------------------------------------------------------------------


def isbn13(prefix: str, n: int) -> str:
    """A valid ISBN-13 from a 9-digit prefix and a serial number."""
    body = (prefix + f"{n:03d}")[:12]
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def issn(prefix: str) -> str:
    """A valid ISSN (with its check character) from 7 digits."""
    total = sum(int(d) * w for d, w in zip(prefix, range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return f"{prefix[:4]}-{prefix[4:]}{'X' if check == 10 else check}"


# --- request plans and citations --------------------------------------------------------------------


def plan_statuses(statuses, weights: dict, total: int, seed: str) -> list[str]:
    """Every status three times, the rest spread by weight; the same list on every run."""
    rng = random.Random(seed)
    out = [s for s in statuses for _ in range(3)]
    out += rng.choices(statuses, weights=[weights.get(s, 1) for s in statuses], k=max(0, total - len(out)))
    rng.shuffle(out)
    return out


def citation(rng: random.Random) -> dict:
    kind = rng.choices(["book", "article", "chapter", "thesis", "journal", "conference", "other"],
                       weights=[34, 30, 14, 8, 4, 6, 4])[0]
    if kind == "book":
        idx = rng.randrange(len(BOOKS))
        title, author, publisher, place, year, prefix = BOOKS[idx]
        return {"request_type": "book", "title": title, "author": author, "publisher": publisher,
                "place_of_publication": place, "year": year, "isbn": isbn13(prefix, idx),
                "edition": rng.choice(["", "", "", "2nd ed.", "2. painos"])}
    if kind == "article":
        idx = rng.randrange(len(ARTICLES))
        journal, prefix, title, author, year = ARTICLES[idx]
        first = rng.randint(1, 300)
        return {"request_type": "article", "title": journal, "issn": issn(prefix), "chapter_title": title,
                "chapter_author": author, "author": author, "year": year, "volume": str(rng.randint(5, 90)),
                "issue": str(rng.randint(1, 6)), "pages": f"{first}-{first + rng.randint(6, 30)}",
                "doi": f"10.5555/demo.{prefix}.{year}.{idx:03d}",
                "pmid": str(30000000 + idx * 7919) if prefix in ("0012718", "0284186", "0140673") else ""}
    if kind == "chapter":
        idx = rng.randrange(len(CHAPTERS))
        book, editor, title, author, pages, year, prefix = CHAPTERS[idx]
        return {"request_type": "chapter", "title": book, "author": editor, "chapter_title": title,
                "chapter_author": author, "pages": pages, "year": year, "isbn": isbn13(prefix, 500 + idx)}
    if kind == "thesis":
        title, author, university, year, thesis_kind = rng.choice(THESES)
        return {"request_type": "thesis", "title": title, "author": author, "publisher": university,
                "year": year, "edition": thesis_kind}
    if kind == "journal":
        journal, prefix, year, volume, issue = rng.choice(JOURNAL_ISSUES)
        return {"request_type": "journal", "title": journal, "issn": issn(prefix), "year": year,
                "volume": volume, "issue": issue}
    if kind == "conference":
        proceedings, title, author, year, place = rng.choice(CONFERENCES)
        return {"request_type": "conference", "title": proceedings, "chapter_title": title,
                "chapter_author": author, "author": author, "year": year, "place_of_publication": place}
    title, author, publisher, year = rng.choice(OTHERS)
    return {"request_type": "other", "title": title, "author": author, "publisher": publisher, "year": year}


_FORMATS_BY_TYPE = {  # request type: (formats, weights)
    "book": (["physical", "digital", NON_RET], [80, 15, 5]), "article": (["digital", NON_RET], [80, 20]),
    "chapter": (["digital", NON_RET, "physical"], [60, 25, 15]), "thesis": (["physical", "digital"], [3, 2]),
    "journal": (["physical", NON_RET], [70, 30]), "conference": (["digital", "physical"], [70, 30]),
    "other": (["physical"], [1])}


def default_format(rng, request_type: str) -> str:
    options, weights = _FORMATS_BY_TYPE[request_type]
    return rng.choices(options, weights=weights)[0]


def lending_citation(rng: random.Random, record) -> dict:
    """A partner's request for one of our catalogue records (an article when it is a journal)."""
    if record.issn:
        journal, _p, title, author, year = rng.choice(ARTICLES)
        first = rng.randint(1, 200)
        return {"request_type": "article", "title": record.title, "issn": record.issn, "chapter_title": title,
                "chapter_author": author, "author": author, "year": year, "volume": str(rng.randint(10, 60)),
                "pages": f"{first}-{first + rng.randint(5, 25)}", "publisher": record.publisher}
    return {"request_type": "book", "title": record.title, "author": record.author, "isbn": record.isbn,
            "publisher": record.publisher, "year": record.year, "oclc_number": record.oclc_number,
            "bib_id": record.record_id}


def request_extras(rng: random.Random, all_tags, created, updated, *, after_send: bool, peer: bool) -> dict:
    """Notes, general messages, tags; plus the flags the task lists count."""
    span = updated - created
    notes, messages = [], []
    if rng.random() < 0.22:
        notes.append(("internal", rng.choice(INTERNAL_NOTES), rng.random() < 0.85))
    if after_send and rng.random() < 0.12:
        notes.append(("to_partner", rng.choice(TO_PARTNER_NOTES), rng.random() < 0.8))
    if after_send and rng.random() < 0.14:
        notes.append(("from_partner", rng.choice(FROM_PARTNER_NOTES), rng.random() < 0.85))
    if after_send and peer and rng.random() < 0.12:
        messages.append(("sent", rng.choice(MESSAGES_SENT), rng.random() < 0.7))
        if rng.random() < 0.6:
            messages.append(("received", rng.choice(MESSAGES_RECEIVED), rng.random() < 0.8))
    tags = rng.sample(all_tags, k=rng.choice([1, 1, 2])) if rng.random() < 0.16 else []
    return {
        "notes": [(kind, text, active, created + span * rng.uniform(0.1, 1)) for kind, text, active in notes],
        "messages": [(d, text, active, created + span * rng.uniform(0.2, 1)) for d, text, active in messages],
        "tags": tags,
        "flags": {"has_active_note": any(a for _k, _t, a in notes),
                  "has_partner_note": any(a and k == "from_partner" for k, _t, a in notes),
                  "has_active_message": any(a for _d, _t, a in messages)},
    }

"""Static pools the synthetic world is drawn from (names, places, titles, industries, texts)."""

from __future__ import annotations

# culture -> (first names, last names, [(city, region, country, country code)])
CULTURES: dict[str, tuple[list[str], list[str], list[tuple[str, str, str, str]]]] = {
    "nordic": (
        ["Maya", "Oskar", "Ingrid", "Mikael", "Astrid", "Lars", "Sofia", "Erik", "Freja", "Jonas", "Sigrid", "Henrik"],
        ["Lindqvist", "Halvorsen", "Solberg", "Virtanen", "Sandström", "Berg", "Nyström", "Johansson", "Møller",
         "Åkesson", "Korhonen", "Dahl"],
        [("Stockholm", "Stockholm County", "Sweden", "SE"), ("Gothenburg", "Västra Götaland County", "Sweden", "SE"),
         ("Oslo", "Oslo", "Norway", "NO"), ("Helsinki", "Uusimaa", "Finland", "FI"),
         ("Copenhagen", "Capital Region", "Denmark", "DK")],
    ),
    "iberian": (
        ["Ana", "João", "Lucía", "Mateo", "Inês", "Diego", "Carmen", "Pablo", "Beatriz", "Tiago"],
        ["Lima", "Carvalho", "García", "Fernández", "Oliveira", "Martínez", "Souza", "Ruiz", "Pereira", "Navarro"],
        [("Madrid", "Community of Madrid", "Spain", "ES"), ("Barcelona", "Catalonia", "Spain", "ES"),
         ("Lisbon", "Lisbon", "Portugal", "PT"), ("São Paulo", "São Paulo", "Brazil", "BR"),
         ("Mexico City", "CDMX", "Mexico", "MX")],
    ),
    "german": (
        ["Lena", "Felix", "Hannah", "Lukas", "Marie", "Jonas", "Clara", "Maximilian", "Anna", "Tobias"],
        ["Müller", "Schmidt", "Becker", "Wagner", "Hoffmann", "Schäfer", "Koch", "Richter", "Weiß", "Krüger"],
        [("Berlin", "Berlin", "Germany", "DE"), ("Munich", "Bavaria", "Germany", "DE"),
         ("Vienna", "Vienna", "Austria", "AT"), ("Zurich", "Zurich", "Switzerland", "CH")],
    ),
    "french": (
        ["Camille", "Louis", "Chloé", "Hugo", "Léa", "Antoine", "Manon", "Théo", "Élodie", "Julien"],
        ["Moreau", "Dubois", "Lefèvre", "Girard", "Bonnet", "Lambert", "Fontaine", "Rousseau", "Faure", "Mercier"],
        [("Paris", "Île-de-France", "France", "FR"), ("Lyon", "Auvergne-Rhône-Alpes", "France", "FR"),
         ("Brussels", "Brussels Region", "Belgium", "BE"), ("Montreal", "Quebec", "Canada", "CA")],
    ),
    "indian": (
        ["Priya", "Arjun", "Ananya", "Rahul", "Kavya", "Vikram", "Meera", "Rohan", "Sneha", "Aditya"],
        ["Natarajan", "Sharma", "Iyer", "Patel", "Reddy", "Gupta", "Menon", "Krishnan", "Desai", "Banerjee"],
        [("Bengaluru", "Karnataka", "India", "IN"), ("Mumbai", "Maharashtra", "India", "IN"),
         ("Hyderabad", "Telangana", "India", "IN"), ("Pune", "Maharashtra", "India", "IN")],
    ),
    "east_asian": (
        ["Wei", "Mei", "Hiroshi", "Yuki", "Min-jun", "Ji-woo", "Haruto", "Xiaoling", "Kenji", "Seo-yeon"],
        ["Chen", "Wang", "Tanaka", "Suzuki", "Kim", "Park", "Li", "Zhang", "Watanabe", "Choi"],
        [("Singapore", "Singapore", "Singapore", "SG"), ("Tokyo", "Tokyo", "Japan", "JP"),
         ("Seoul", "Seoul", "South Korea", "KR"), ("Shanghai", "Shanghai", "China", "CN"),
         ("Taipei", "Taipei City", "Taiwan", "TW")],
    ),
    "west_african": (
        ["Ben", "Chiamaka", "Tunde", "Ngozi", "Kwame", "Adaeze", "Femi", "Ama", "Emeka", "Yetunde"],
        ["Okafor", "Adeyemi", "Mensah", "Okonkwo", "Balogun", "Asante", "Eze", "Oyelaran", "Boateng", "Nwosu"],
        [("Lagos", "Lagos State", "Nigeria", "NG"), ("Accra", "Greater Accra", "Ghana", "GH"),
         ("Nairobi", "Nairobi County", "Kenya", "KE")],
    ),
    "arabic": (
        ["Leila", "Omar", "Yasmin", "Karim", "Nour", "Tariq", "Rania", "Samir", "Huda", "Youssef"],
        ["Haddad", "Khalil", "Mansour", "Nasser", "Saleh", "Farouk", "Aziz", "Hamdan", "Qureshi", "Rahman"],
        [("Dubai", "Dubai", "United Arab Emirates", "AE"), ("Riyadh", "Riyadh Province", "Saudi Arabia", "SA"),
         ("Cairo", "Cairo Governorate", "Egypt", "EG"), ("Amman", "Amman Governorate", "Jordan", "JO")],
    ),
    "polish": (
        ["Zofia", "Jakub", "Katarzyna", "Piotr", "Agnieszka", "Michał", "Magdalena", "Tomasz"],
        ["Kowalski", "Nowak", "Wiśniewska", "Wójcik", "Kamińska", "Lewandowski", "Zieliński", "Szymańska"],
        [("Warsaw", "Masovian Voivodeship", "Poland", "PL"), ("Kraków", "Lesser Poland Voivodeship", "Poland", "PL"),
         ("Prague", "Prague", "Czechia", "CZ")],
    ),
    "anglo": (
        ["Emily", "James", "Olivia", "Daniel", "Grace", "Michael", "Hannah", "Ryan", "Sarah", "Liam", "Chloe",
         "Nathan"],
        ["Smith", "Johnson", "Walker", "O'Brien", "Thompson", "Clarke", "Murphy", "Evans", "Hughes", "Bennett",
         "Harris", "Campbell"],
        [("London", "England", "United Kingdom", "GB"), ("Manchester", "England", "United Kingdom", "GB"),
         ("Dublin", "County Dublin", "Ireland", "IE"), ("New York", "New York", "United States", "US"),
         ("San Francisco", "California", "United States", "US"), ("Austin", "Texas", "United States", "US"),
         ("Toronto", "Ontario", "Canada", "CA"), ("Sydney", "New South Wales", "Australia", "AU")],
    ),
}

# [INFERRED] region aliases so location filters such as "Nordics" or "DACH" match like LinkedIn's
# geo facets do.
REGION_ALIASES: dict[str, set[str]] = {
    "nordics": {"SE", "NO", "FI", "DK", "IS"},
    "scandinavia": {"SE", "NO", "DK"},
    "dach": {"DE", "AT", "CH"},
    "europe": {"SE", "NO", "FI", "DK", "ES", "PT", "DE", "AT", "CH", "FR", "BE", "PL", "CZ", "GB", "IE"},
    "emea": {"SE", "NO", "FI", "DK", "ES", "PT", "DE", "AT", "CH", "FR", "BE", "PL", "CZ", "GB", "IE", "AE", "SA",
             "EG", "JO", "NG", "GH", "KE"},
    "apac": {"SG", "JP", "KR", "CN", "TW", "IN", "AU"},
    "north america": {"US", "CA", "MX"},
    "latam": {"BR", "MX"},
}

INDUSTRIES = [
    "Software Development", "IT Services and IT Consulting", "Financial Services", "Hospitals and Health Care",
    "Retail", "Manufacturing", "Transportation, Logistics, Supply Chain and Storage", "Biotechnology Research",
    "Advertising Services", "Staffing and Recruiting", "Higher Education", "Telecommunications",
    "Venture Capital and Private Equity Principals", "Business Consulting and Services", "Renewable Energy",
    "Computer and Network Security",
]

COMPANY_FIRST = [
    "Northwind", "Kestrel", "Bluepeak", "Ironbark", "Lumen", "Saltmarsh", "Quillon", "Verdant", "Halcyon", "Orbital",
    "Cobalt", "Meridian", "Tidewater", "Aurora", "Granite", "Pinecrest", "Solstice", "Brightline", "Harbor",
    "Falcon", "Juniper", "Atlas", "Nimbus", "Redwood", "Silverleaf", "Crescent", "Polaris", "Evergreen", "Fjord",
    "Sable",
]
COMPANY_SECOND = {
    "Software Development": ["Analytics", "Labs", "Software", "Cloud", "AI"],
    "IT Services and IT Consulting": ["Consulting", "Digital", "Systems"],
    "Financial Services": ["Capital", "Payments", "Finance"],
    "Hospitals and Health Care": ["Health", "Care", "Clinics"],
    "Retail": ["Retail", "Goods", "Market"],
    "Manufacturing": ["Industries", "Manufacturing", "Works"],
    "Transportation, Logistics, Supply Chain and Storage": ["Freight", "Logistics", "Shipping"],
    "Biotechnology Research": ["Bio", "Therapeutics", "Genomics"],
    "Advertising Services": ["Media", "Creative", "Agency"],
    "Staffing and Recruiting": ["Talent", "Recruiting", "People"],
    "Higher Education": ["Institute", "Academy"],
    "Telecommunications": ["Telecom", "Networks"],
    "Venture Capital and Private Equity Principals": ["Ventures", "Partners"],
    "Business Consulting and Services": ["Advisory", "Group"],
    "Renewable Energy": ["Energy", "Solar", "Power"],
    "Computer and Network Security": ["Security", "Shield"],
}
SPECIALTIES = {
    "Software Development": "data platforms, SaaS, machine learning, developer tools",
    "IT Services and IT Consulting": "cloud migration, managed services, digital transformation",
    "Financial Services": "payments, risk management, lending",
    "Hospitals and Health Care": "patient care, telehealth, diagnostics",
    "Retail": "e-commerce, omnichannel retail, supply planning",
    "Manufacturing": "industrial automation, lean manufacturing, quality",
    "Transportation, Logistics, Supply Chain and Storage": "freight forwarding, route optimisation, warehousing",
    "Biotechnology Research": "drug discovery, genomics, clinical research",
    "Advertising Services": "brand strategy, performance marketing, content",
    "Staffing and Recruiting": "executive search, tech recruiting, RPO",
    "Higher Education": "research, executive education",
    "Telecommunications": "5G, fibre networks, IoT connectivity",
    "Venture Capital and Private Equity Principals": "seed investing, growth equity",
    "Business Consulting and Services": "strategy, operations, M&A advisory",
    "Renewable Energy": "solar, wind, energy storage",
    "Computer and Network Security": "threat detection, zero trust, incident response",
}

# (title, seniority rank: 0 = founder/C-level ... 6 = individual contributor)
FUNCTIONS: dict[str, list[tuple[str, int]]] = {
    "engineering": [("Co-founder & CTO", 0), ("VP Engineering", 2), ("Head of Engineering", 3),
                    ("Engineering Manager", 4), ("Senior Software Engineer", 5), ("Software Engineer", 6),
                    ("Backend Engineer", 6), ("Frontend Engineer", 6)],
    "data": [("Chief Data Officer", 1), ("Head of Data Platform", 3), ("Data Science Manager", 4),
             ("Senior Data Engineer", 5), ("Data Scientist", 6), ("ML Engineer", 6), ("Data Analyst", 6)],
    "sales": [("Chief Revenue Officer", 1), ("VP Sales", 2), ("Head of Sales", 3), ("Sales Manager", 4),
              ("Account Executive", 6), ("Business Development Representative", 6)],
    "marketing": [("Chief Marketing Officer", 1), ("Head of Marketing", 3), ("Marketing Manager", 4),
                  ("Content Marketing Specialist", 6), ("Growth Marketer", 6)],
    "product": [("Chief Product Officer", 1), ("VP Product", 2), ("Head of Product", 3),
                ("Senior Product Manager", 5), ("Product Manager", 6), ("Product Designer", 6)],
    "operations": [("Co-founder & CEO", 0), ("Chief Operating Officer", 1), ("Director of Operations", 3),
                   ("Operations Manager", 4), ("Operations Analyst", 6)],
    "finance": [("Chief Financial Officer", 1), ("Finance Director", 3), ("Financial Controller", 4),
                ("Financial Analyst", 6)],
    "people": [("Chief People Officer", 1), ("Head of Talent", 3), ("Talent Acquisition Partner", 6),
               ("HR Business Partner", 6)],
}

SKILLS: dict[str, list[str]] = {
    "engineering": ["Python", "Go", "TypeScript", "Kubernetes", "AWS", "System Design", "PostgreSQL", "React",
                    "Distributed Systems", "CI/CD"],
    "data": ["SQL", "Python", "Apache Spark", "Data Modeling", "dbt", "Machine Learning", "Airflow",
             "Statistics", "Tableau"],
    "sales": ["B2B Sales", "Salesforce", "Negotiation", "Account Management", "Lead Generation",
              "Solution Selling", "SaaS"],
    "marketing": ["Content Strategy", "SEO", "Google Analytics", "Brand Management", "Copywriting",
                  "Marketing Automation"],
    "product": ["Product Management", "User Research", "Roadmapping", "Figma", "A/B Testing", "Agile"],
    "operations": ["Operations Management", "Process Improvement", "Supply Chain", "Leadership",
                   "Project Management"],
    "finance": ["Financial Modeling", "Budgeting", "Excel", "Forecasting", "IFRS"],
    "people": ["Recruiting", "Employer Branding", "Onboarding", "Employee Relations", "Coaching"],
}

SCHOOLS = [
    "KTH Royal Institute of Technology", "University of Oslo", "Universidad Politécnica de Madrid",
    "Technische Universität München", "École Polytechnique", "IIT Bombay", "National University of Singapore",
    "University of Lagos", "American University of Beirut", "University of Warsaw", "University of Cambridge",
    "Stanford University", "University of Toronto", "University of São Paulo", "Seoul National University",
    "University of Helsinki",
]
DEGREES = [
    "Master of Science - MS, Computer Science", "Bachelor of Science - BS, Economics",
    "Master of Business Administration - MBA", "Bachelor of Engineering - BE, Electrical Engineering",
    "Master of Science - MS, Data Science", "Bachelor of Arts - BA, Communication",
]

LANGUAGES_BY_COUNTRY: dict[str, str] = {
    "SE": "Swedish", "NO": "Norwegian", "FI": "Finnish", "DK": "Danish", "ES": "Spanish", "PT": "Portuguese",
    "BR": "Portuguese", "MX": "Spanish", "DE": "German", "AT": "German", "CH": "German", "FR": "French",
    "BE": "French", "CA": "French", "IN": "Hindi", "SG": "Mandarin", "JP": "Japanese", "KR": "Korean",
    "CN": "Mandarin", "TW": "Mandarin", "NG": "Yoruba", "GH": "Twi", "KE": "Swahili", "AE": "Arabic",
    "SA": "Arabic", "EG": "Arabic", "JO": "Arabic", "PL": "Polish", "CZ": "Czech", "GB": "English",
    "IE": "English", "US": "English", "AU": "English",
}

HEADLINE_TAILS = [
    "", "", " | Building things people love", " | Speaker", " | Mentor", " | Ex-{prev}",
    " · Open to collaborations",
]

ABOUTS = [
    "I build teams and products that last.", "Curious about data, people and the space between them.",
    "Helping companies grow through thoughtful technology.", "Ten years in, still learning every day.",
    "I care about clear writing, fast feedback and kind teams.", None, None,
]

TOPICS = {
    "engineering": (["#engineering", "#softwaredevelopment", "#devops"],
                    ["We cut our deploy time from 40 minutes to 6. Here is what actually mattered.",
                     "Hot take: most microservice migrations should have been a modular monolith.",
                     "Our on-call rotation got calmer after we deleted half our alerts. Lessons below."]),
    "data": (["#dataengineering", "#lakehouse", "#machinelearning"],
             ["We moved 40 TB to a lakehouse without a single weekend outage. Notes from the migration below.",
              "Data contracts are the most underrated tool in analytics engineering.",
              "Forecasting demand for 3,000 SKUs taught us to love simple baselines."]),
    "sales": (["#sales", "#b2bsales", "#saas"],
              ["The best discovery call I had this year started with a question I almost did not ask.",
               "Pipeline reviews are not status meetings. Here is how we run ours.",
               "We closed our biggest deal by walking away from it first."]),
    "marketing": (["#marketing", "#contentmarketing", "#brand"],
                  ["Three landing-page experiments that doubled our demo requests.",
                   "Brand is what people say about you when you are not in the room.",
                   "We stopped gating our content. Leads went up, not down."]),
    "product": (["#productmanagement", "#ux", "#startups"],
                ["The roadmap is a hypothesis, not a promise.",
                 "Five user interviews changed our whole onboarding flow.",
                 "Shipping small beats shipping perfect. Our release notes from this quarter:"]),
    "operations": (["#operations", "#leadership", "#supplychain"],
                   ["We are hiring across three offices this quarter. Come build with us!",
                    "Process is a product too: treat your internal tools like customer-facing ones.",
                    "What a warehouse night shift taught me about leadership."]),
    "finance": (["#finance", "#fpanda", "#cfo"],
                ["Scenario planning is back. How we model three futures at once.",
                 "Cash is a fact, profit is an opinion."]),
    "people": (["#hiring", "#talentacquisition", "#culture"],
               ["Candidates remember how you rejected them. Write the email you would want to receive.",
                "We rewrote our job ads in plain language and applications doubled."]),
}

COMMENT_TEXTS = [
    "Great insights, thanks for sharing!", "This matches our experience exactly.", "Congrats to the whole team!",
    "Would love to hear more about how you measured this.", "Saving this for our next planning session.",
    "Strong agree on the second point.", "Interesting — what would you do differently next time?",
    "The no-outage part is the real achievement here.", "Thanks for writing this up so clearly.",
]

MESSAGE_PAIRS = [
    ("Hi {first}, thanks for connecting! Would you be open to a short call next week?",
     "Sure — Tuesday morning works."),
    ("Hi {first}, loved your post about {topic}. How did your team get started?",
     "Thanks! Happy to share our notes, I will send them over."),
    ("Hi {first}, are you going to the conference in {city} this spring?",
     "Yes, I will be there on both days. Let's meet!"),
    ("Thanks for the intro yesterday, {first}.", "Anytime, glad it was useful."),
]

JOB_FUNCTIONS = {
    "engineering": "Engineering", "data": "Information Technology", "sales": "Sales", "marketing": "Marketing",
    "product": "Product Management", "operations": "Operations", "finance": "Finance",
    "people": "Human Resources",
}

CURRENCY_BY_COUNTRY = {
    "SE": "sek", "NO": "nok", "DK": "dkk", "FI": "eur", "ES": "eur", "PT": "eur", "DE": "eur", "AT": "eur",
    "FR": "eur", "BE": "eur", "IE": "eur", "CH": "chf", "GB": "gbp", "US": "usd", "CA": "cad", "AU": "aud",
    "IN": "inr", "SG": "sgd", "JP": "jpy", "KR": "krw", "CN": "cny", "TW": "twd", "BR": "brl", "MX": "mxn",
    "NG": "ngn", "AE": "aed", "SA": "sar", "PL": "pln", "CZ": "czk",
}

# --- the prospecting market (generated after the base world, see _generate.market) -------------
# Hubs where the sandbox's users sell, with the culture whose names dominate there.
MARKET_HUBS: list[tuple[tuple[str, str, str, str], str]] = [
    (("Berlin", "Berlin", "Germany", "DE"), "german"), (("Munich", "Bavaria", "Germany", "DE"), "german"),
    (("Zurich", "Zurich", "Switzerland", "CH"), "german"), (("Vienna", "Vienna", "Austria", "AT"), "german"),
    (("London", "England", "United Kingdom", "GB"), "anglo"), (("Dublin", "County Dublin", "Ireland", "IE"), "anglo"),
    (("New York", "New York", "United States", "US"), "anglo"),
    (("San Francisco", "California", "United States", "US"), "anglo"),
    (("Austin", "Texas", "United States", "US"), "anglo"), (("Toronto", "Ontario", "Canada", "CA"), "anglo"),
    (("Sydney", "New South Wales", "Australia", "AU"), "anglo"),
    (("Paris", "Île-de-France", "France", "FR"), "french"),
    (("Stockholm", "Stockholm County", "Sweden", "SE"), "nordic"),
    (("Copenhagen", "Capital Region", "Denmark", "DK"), "nordic"),
    (("Madrid", "Community of Madrid", "Spain", "ES"), "iberian"),
    (("Barcelona", "Catalonia", "Spain", "ES"), "iberian"), (("São Paulo", "São Paulo", "Brazil", "BR"), "iberian"),
    (("Warsaw", "Masovian Voivodeship", "Poland", "PL"), "polish"),
    (("Singapore", "Singapore", "Singapore", "SG"), "east_asian"),
    (("Bengaluru", "Karnataka", "India", "IN"), "indian"),
    (("Dubai", "Dubai", "United Arab Emirates", "AE"), "arabic"),
]
# Roles every hub has (title, function, seniority rank, how many per hub: (min, max)), so ordinary
# prospecting queries find people anywhere: engineering managers, heads of sales, founders,
# recruiters, ...
MARKET_ROLES: list[tuple[str, str, int, tuple[int, int]]] = [
    ("Founder & CEO", "operations", 0, (1, 2)),
    ("Co-founder & CTO", "engineering", 0, (1, 1)),
    ("VP Engineering", "engineering", 2, (0, 1)),
    ("Engineering Manager", "engineering", 4, (2, 3)),
    ("Senior Software Engineer", "engineering", 5, (1, 2)),
    ("Head of Sales", "sales", 3, (1, 2)),
    ("VP Sales", "sales", 2, (0, 1)),
    ("Sales Director", "sales", 3, (0, 1)),
    ("Account Executive", "sales", 6, (1, 2)),
    ("Sales Development Representative", "sales", 6, (0, 1)),
    ("Head of Marketing", "marketing", 3, (1, 1)),
    ("Chief Marketing Officer", "marketing", 1, (0, 1)),
    ("Head of Product", "product", 3, (0, 1)),
    ("Product Manager", "product", 6, (0, 1)),
    ("Head of Data", "data", 3, (0, 1)),
    ("Data Scientist", "data", 6, (0, 1)),
    ("Technical Recruiter", "people", 6, (1, 1)),
    ("Recruiter", "people", 6, (0, 1)),
    ("Head of Talent Acquisition", "people", 3, (0, 1)),
    ("Chief Financial Officer", "finance", 1, (0, 1)),
    ("Head of Customer Success", "operations", 3, (0, 1)),
    ("Revenue Operations Manager", "sales", 4, (0, 1)),
]
# Industries of the hub companies, weighted towards where B2B sellers prospect.
MARKET_INDUSTRIES: list[tuple[str, int]] = [
    ("Software Development", 8), ("IT Services and IT Consulting", 4), ("Financial Services", 3),
    ("Computer and Network Security", 2), ("Hospitals and Health Care", 2), ("Retail", 2), ("Manufacturing", 2),
    ("Transportation, Logistics, Supply Chain and Storage", 1), ("Advertising Services", 1),
    ("Staffing and Recruiting", 1), ("Business Consulting and Services", 2), ("Renewable Energy", 1),
    ("Biotechnology Research", 1), ("Telecommunications", 1),
]
# Posts on current professional topics (hashtags, texts), written by the market's people.
CURRENT_TOPICS: dict[str, tuple[list[str], list[str]]] = {
    "ai": (["#AI", "#AIagents", "#GenerativeAI", "#LLM"],
           ["AI agents are moving from demos to production. Three things we learned shipping ours.",
            "We let an AI agent draft every first reply to inbound leads. Response time dropped from hours to minutes.",
            "Generative AI will not replace your sales team, but a team using AI agents will outsell yours.",
            "Our LLM evaluation checklist before any AI feature reaches customers.",
            "Hot take: most AI pilots fail on data quality, not on the model."]),
    "revops": (["#RevOps", "#SalesOps", "#CRM"],
               ["RevOps is the quiet engine of every efficient go-to-market team.",
                "We cleaned up our CRM and found 20% of pipeline was dead deals. Here is the playbook."]),
    "outbound": (["#sales", "#outbound", "#prospecting", "#B2Bsales"],
                 ["Cold outreach still works when it is about the buyer, not about you.",
                  "Our best-performing prospecting sequence has four touches and zero templates.",
                  "Social selling on LinkedIn doubled our reply rates this quarter."]),
    "hiring": (["#hiring", "#engineering", "#recruiting"],
               ["We are hiring engineering managers in {city}. DM me if you want to build with us!",
                "Hiring: Account Executives and SDRs for our {city} office. Remote-friendly.",
                "Recruiters: what is the one question you always ask engineering candidates?"]),
    "leadership": (["#leadership", "#management", "#startups"],
                   ["First-time engineering managers: your calendar is now your product.",
                    "Founders, your first sales hire should be a builder, not a closer.",
                    "Remote teams need more written context, not more meetings."]),
    "security": (["#cybersecurity", "#zerotrust"],
                 ["Zero trust is a journey, not a product you buy.",
                  "Phishing simulations taught us more about culture than about security."]),
    "funding": (["#startups", "#funding", "#SaaS"],
                ["We just closed our Series A to bring AI-powered forecasting to every sales team!",
                 "Bootstrapped to 2M ARR: what we would do again and what we would not."]),
}

# --- inbox history and incoming messages (the market's conversations) ---------------------------------
# Conversations before monitoring started: (our opener, their reply or None, our follow-up or None).
HISTORY_THREADS: list[tuple[str, str | None, str | None]] = [
    ("Hi {first}, I saw your post on {topic} — would a 20-minute call next week make sense?",
     "Thanks for reaching out! Send me a few slots and some context on what you do.", None),
    ("Hi {first}, congrats on the new role at {company}!", "Thank you! Still finding my way around.",
     "Happy to share what worked for other teams in {city} if useful."),
    ("Hi {first}, we help teams like {company} cut their sales cycle. Open to a quick chat?", None, None),
    ("Thanks for connecting, {first}. How is the quarter going at {company}?",
     "Busy but good. We are hiring two more account executives.", None),
    ("Hi {first}, following up on my note last week — any thoughts?", "Sorry, swamped. Can we talk next month?",
     None),
]
# Messages that arrive over time once the sandbox runs: replies, inbound leads, recruiters.
INCOMING_TEXTS: list[str] = [
    "Hi Alex, thanks for your message — could you send over a short deck?",
    "Hello! I saw Brightline Labs on LinkedIn. Do you work with teams in {city}?",
    "Hi Alex, are you open to a quick call this week about partnerships?",
    "Following up on our chat: we would like to see a demo with our team.",
    "Hi Alex, I lead talent acquisition at {company}. Are you open to new opportunities?",
    "Great meeting you at the event in {city}! Let's stay in touch.",
    "Thanks! Tuesday 10:00 works for me.",
    "Could you share pricing for a team of 20?",
]

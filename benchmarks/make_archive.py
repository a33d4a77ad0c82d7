#!/usr/bin/env python3
"""Deterministic synthetic explainer project, for benchmarks and scale tests.

Writes a complete explainer project into ``--out``::

    OUT/content/site.yaml
    OUT/content/articles/<year>/<slug>.md   N articles, ~600 words of Danish-looking prose
    OUT/content/entities/<slug>.md          M entities (persons, organisations, places, ...)
    OUT/content/notes/<slug>.md             K background notes with dates and trigger phrases

Articles mention 5-15 entities each, drawn from a Zipf-like distribution, in the
inflected forms the linker handles: the plain name, the genitive ("Nordviks",
"Kalvnæs'"), hyphen compounds ("Nordvik-regionen"), aliases, and lower-case
demonym aliases, capitalised at the start of a sentence ("Nordvikske ...").
About one article in five carries a Danish date phrase equal to some note's
date ("24. februar 2022", "den 3. maj 2019") and one in ten a note's trigger.

The output depends only on the arguments: the same arguments give
byte-identical files.  Entities and notes depend on (seed, M, K); article i
is drawn from its own RNG, so with the same seed, M and K the archive for
N=1000 is the first 1000 articles of the archive for N=10000.  Articles are
written one at a time, so memory stays flat at N=100,000.

Only the standard library is used.

usage: make_archive.py --out DIR [--articles N] [--entities M] [--notes K]
                       [--seed S] [--force]
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import json
import re
import shutil
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from random import Random


def _words(text: str) -> list[str]:
    return text.split()


# ---------------------------------------------------------------------------
# Vocabulary: real Danish words, all lower case.  No entity name or alias may
# be one of these (checked when the entities are made).

FUNCTION_WORDS = _words(
    """
og i at det en den til er som på de med han af for ikke der var sig men et har om
vi nu over da fra ud sin dem os op man hans hvor eller hvad skal selv her alle vil
blev kunne ind når være dog noget ville jo deres efter ned skulle denne end dette
også under have meget sit sine mod disse hvis nogle hos blive mange bliver været
sådan samtidig ifølge allerede stadig måske næsten kun endnu igen længe siden
hun hende dens mellem uden omkring gennem blandt ved bag foran inden mens fordi
selvom således derfor dermed heller hverken både enten ligesom nemlig altså
"""
)

NOUNS = _words(
    """
regeringen ministeren forslaget loven aftalen forhandlingerne partiet partierne
folketinget udvalget borgmesteren kommunen regionen byrådet styrelsen myndighederne
politiet domstolen dommeren retten sagen anklagemyndigheden advokaten vidnet
økonomien inflationen renten priserne lønningerne skatten budgettet underskuddet
eksporten importen virksomheden virksomhederne selskabet aktierne markedet banken
investorerne direktøren bestyrelsen medarbejderne arbejdspladserne ledigheden
fagforeningen strejken overenskomsten arbejdsgiverne landbruget fiskeriet havnen
skibene containerne jernbanen motorvejen broen tunnelen trafikken passagererne
lufthavnen flyet toget bussen cyklerne energien strømmen vindmøllerne solcellerne
gassen olien kullet udledningen klimaet temperaturen vejret regnen stormen
oversvømmelsen tørken skoven naturen dyrene fuglene vandet havet kysten stranden
øen landsbyen byen hovedstaden grænsen området landet befolkningen borgerne
indbyggerne familierne børnene eleverne skolen lærerne universitetet forskerne
undersøgelsen rapporten resultaterne tallene statistikken analysen eksperterne
vurderingen kritikken debatten spørgsmålet svaret forklaringen baggrunden
historien konsekvenserne risikoen muligheden udfordringen problemet løsningen
planen strategien målet beslutningen afstemningen valget vælgerne kandidaten
kampagnen meningsmålingen oppositionen flertallet mindretallet koalitionen
forsvaret soldaterne hæren flåden fronten krigen freden våbenhvilen konflikten
sanktionerne diplomaterne ambassaden topmødet samarbejdet alliancen truslen
sikkerheden efterretningerne oplysningerne kilderne dokumenterne beviserne
hospitalet lægerne patienterne sygdommen behandlingen vaccinen sundheden
ældreplejen boligerne huslejen byggeriet projektet tilladelsen klagen
teatret museet koncerten festivalen forfatteren bogen filmen udstillingen
kunstneren publikum scenen holdet kampen sæsonen turneringen mesterskabet
træneren spillerne målmanden tilskuerne stadion sejren nederlaget finalen
computeren internettet data softwaren platformen appen algoritmen robotten
kunstig intelligens telefonen nettet hackerne angrebet sikkerhedshullet
ugen måneden året dagen aftenen morgenen natten weekenden vinteren foråret
sommeren efteråret tiden perioden fremtiden fortiden begyndelsen slutningen
pressemødet udtalelsen interviewet meddelelsen erklæringen mødet konferencen
"""
)

GENITIVE_HEADS = _words(
    """
regering borgmester økonomi havn ledelse formand beslutning plan rolle position
forslag udtalelse strategi befolkning grænse kyst hær parti direktør bestyrelse
fremtid historie budget kritik svar krav tilbud aftale opbakning indflydelse
"""
)

DEMONYM_HEADS = _words(
    """
myndigheder soldater politikere virksomheder fiskere borgere eksperter medier
forskere diplomater landmænd vælgere ministre sygeplejersker studerende
"""
)

VERBS = _words(
    """
siger sagde vurderer oplyser bekræfter afviser meddeler skriver rapporterer
mener viser tyder peger understreger kritiserer støtter foreslår vedtager
beslutter ændrer indfører skærper lemper advarer frygter forventer håber
kræver ønsker vil skal kan må bør får fik giver gav tager tog kommer kom går gik
står stod ligger lå bliver blev har havde er var gør gjorde ser så finder fandt
bygger åbner lukker sender modtager betaler koster stiger falder vokser mister
vinder taber spiller mødes forhandler underskriver stemmer fremlægger præsenterer
undersøger efterforsker anklager dømmer frikender løslader anholder evakuerer
investerer sparer fyrer ansætter udvider reducerer fordobler halverer
"""
)

ADJECTIVES = _words(
    """
nye gamle store små lange korte høje lave tunge lette hårde bløde hurtige
langsomme vigtige alvorlige betydelige mulige nødvendige økonomiske politiske
sociale militære diplomatiske officielle hemmelige offentlige private lokale
regionale nationale internationale europæiske nordiske danske grønne
bæredygtige digitale tekniske juridiske kritiske positive negative usikre
sikre stabile svage stærke rige fattige unge ældre første sidste næste
tidligere senere kommende nuværende hele samme egne flere færre fleste
"""
)

ADVERBS = _words(
    """
også allerede stadig igen nu endnu aldrig altid ofte sjældent snart længe
hurtigt langsomt tydeligt formentlig sandsynligvis desuden imidlertid
tilsyneladende officielt foreløbig endelig nærmest ganske særligt især
"""
)

# Extra common words that must not serve as an alias either, although the
# prose does not use them (they are surnames as well as ordinary words).
COMMON_WORDS = _words(
    """
storm lykke hvid skov høj gade bang lund berg falk ravn lind holm krog dahl bach
mark vang bro kirk fisker smed skytte bonde frost vinter sommer krag hjort
"""
)

# ---------------------------------------------------------------------------
# Entity name parts.

FIRST_NAMES = _words(
    """
Anders Anne Birgitte Bo Camilla Christian Dorte Emil Erik Freja Frederik Gitte
Hans Helle Ida Jakob Jens Jonas Julie Karen Kasper Katrine Klaus Lars Lene Line
Lise Louise Mads Maja Malene Marianne Martin Mette Mikkel Morten Niels Nina Ole
Peter Pia Poul Rasmus Rikke Sara Signe Simon Sofie Søren Thomas Tine Torben
Troels Ulla Vibeke Anja Asger Bente Birthe Carsten Claus Ditte Esben Flemming
Gustav Hanne Henrik Ib Inger Jesper Jette Kirsten Knud Lasse Magnus Mathilde
Mogens Nanna Oliver Pernille Preben Sanne Steen Susanne Svend Tobias Ulrik
Villads Agnes Andreas Astrid Cecilie Elias Ellen Frida Gorm Holger Iben Ivar
Jørgen Karl Laura Leif Marius Naja Nikolaj Oskar Palle Regitze Sebastian Sigrid
Tove Valdemar Vilhelm Aksel Olena Dmitrij Ingrid Pekka Aino Fatima Ali Yasmin
"""
)

SURNAMES = _words(
    """
Holmgaard Friis Hess Knox Lenz Moos Bundgaard Dalsgaard Damgaard Ebbesen Fogh
Hedegaard Kjær Krogh Lauridsen Mølgaard Nygaard Overgaard Pilgaard Rosenkvist
Skovbo Thygesen Vestergaard Winther Aagaard Bisgaard Brandt Kirkegaard Lindholm
Mortensen Poulsen Jørgensen Sørensen Christiansen Rasmussen Petersen Madsen
Kristensen Olsen Thomsen Pedersen Andersen Nielsen Hansen Jensen Larsen Johansen
Møller Knudsen Mikkelsen Frederiksen Laursen Henriksen Schmidt Eriksen Kristiansen
Clausen Simonsen Svendsen Andreasen Iversen Østergaard Jeppesen Mathiasen
Kjeldsen Bech Juhl Sloth Bruun Lauritsen Kofoed Vinther Ahmadi Hussein Nowak
Virtanen Lindqvist Bergström Halvorsen Solberg Gravesen Tange Lyngsø Bjerre
Damsgaard Ravnsbæk Søgaard Toft Brix Hald Thorsen Lerche Munk Wulff Ladefoged
Bendtsen Kragh Hoff Mørch Quist Riis Fris Voss Marx Seitz Kunz Lutz Strauss
Dyrberg Engholm Fuglsang Grønbech Hjelmsø Ibsen Kastrup Lykkegaard Markussen
Nørgaard Ottesen Pallesen Rytter Sandholt Tvede Ulriksen Valentin Westh
"""
)

PLACE_PREFIXES = _words(
    """
Nord Syd Øst Vest Kalv Ravns Hav Sten Birke Ege Aske Lynge Hol Tors Frej Rød
Sand Strand Bjerg Elle Fjord Gjer Hjort Iller Karls Fugle Lyng Mose Vand Sol
Hede Kilde Stor Brede Grå Klit Sø Havre Rug Hvede Ulv Rav Ask Thors Odins
Skjold Bred Dyb Kær Krage Måge Svane Tjørne Hassel Rosen Lærke Ørne
"""
)

PLACE_SUFFIXES = _words(
    """
vik by næs holm sted strup rup løse ager borg havn bæk lev høj mose vig trup
ved drup sø toft torp hus lund bjerg
"""
)

PLACE_MODIFIERS = ["Øster", "Vester", "Nørre", "Sønder", "Store", "Lille", "Ny", "Gammel"]

COUNTRY_STEMS = _words(
    """
Valdor Kastel Merov Tarsk Ostrav Belgor Lusit Marak Sevan Zelur Karpat Nordal
Isval Orkan Thulan Vindel Akvil Borav Ceral Drav Eskar Falor Gorsk Halvor Ilyr
Jarav Kovar Lombar Norav Oskal Pavel Rhodan Sarm Tavr Vesk Zarak Amun Brel Corv
Dalm Ebor Fenn Galv Hirn Istr Jutr Kelv Lorn Mirv Nesk
"""
)

COUNTRY_SUFFIXES = ["ien", "land", "stan"]

COUNTRY_FORMS = ["Republikken", "Kongeriget", "Forbundsrepublikken", "Fyrstendømmet"]

ORG_ADJECTIVES = _words(
    """
Dansk Nordisk Europæisk Vestjysk Fynsk Sjællandsk Jysk Baltisk Skandinavisk
Arktisk Bornholmsk Nordatlantisk Østjysk Sønderjysk
"""
)

# Compound nouns as (first part, second part, definite form of the whole).
ORG_NOUNS = [
    ("Vind", "råd", "Vindrådet"),
    ("Fiskeri", "forbund", "Fiskeriforbundet"),
    ("Energi", "forum", "Energiforummet"),
    ("Havne", "samråd", "Havnesamrådet"),
    ("Læge", "forening", "Lægeforeningen"),
    ("Landbrugs", "råd", "Landbrugsrådet"),
    ("Industri", "forening", "Industriforeningen"),
    ("Transport", "forbund", "Transportforbundet"),
    ("Bolig", "selskab", "Boligselskabet"),
    ("Sygepleje", "råd", "Sygeplejerådet"),
    ("Medie", "hus", "Mediehuset"),
    ("Forsvars", "akademi", "Forsvarsakademiet"),
    ("Skov", "selskab", "Skovselskabet"),
    ("Rederi", "forening", "Rederiforeningen"),
    ("Kultur", "fond", "Kulturfonden"),
    ("Idræts", "forbund", "Idrætsforbundet"),
    ("Tænke", "tank", "Tænketanken"),
    ("Cykel", "forbund", "Cykelforbundet"),
    ("Handels", "kammer", "Handelskammeret"),
    ("Data", "råd", "Datarådet"),
    ("El", "selskab", "Elselskabet"),
    ("Natur", "fond", "Naturfonden"),
    ("Ungdoms", "råd", "Ungdomsrådet"),
    ("Lærer", "forening", "Lærerforeningen"),
    ("Journalist", "forbund", "Journalistforbundet"),
    ("Turist", "råd", "Turistrådet"),
    ("Forbruger", "råd", "Forbrugerrådet"),
    ("Patient", "forening", "Patientforeningen"),
    ("Havbrugs", "forening", "Havbrugsforeningen"),
    ("Vandværks", "forening", "Vandværksforeningen"),
]

ORG_PLACE_FORMS = ["Kommune", "Havn", "Universitet", "Sparekasse", "Energi", "Lufthavn"]
ORG_SURNAME_FORMS = ["Gruppen", "& Søn", "Holding", "Rederi"]

CODEWORDS = _words(
    """
Havørn Nordlys Stormfugl Isbjørn Søløve Havgus Vinterlys Sølvmåge Fjeldræv
Rødspætte Strandskade Tranebær Blåmusling Sortspætte Hvidhval Nattergal
Kongeørn Havtorn Tordenskjold Regnbue Morgenrøde Polarstjerne Vindrose
Fyrtårn Sandflugt Snefnug Bølgebryder Solsort Guldsmed Ildflue Kobbersnog
Skumring Stenbuk Havhest Grågås Sejlsten Jernbyrd Ravsten Lynild Tågehorn
Egebark Kornblomst Vadehav Klitrose Tidevand Nordstjerne Spejlsø Glødeild
"""
)

EVENT_FORMS = [
    "{}-aftalen",
    "{}-topmødet",
    "{}-krisen",
    "{}-sagen",
    "{}-konferencen",
    "Operation {}",
    "{}-traktaten",
    "{}-protesterne",
    "{}-forliget",
]
OTHER_FORMS = ["MS {}", "Projekt {}", "{}-planen", "{}-loven", "{}-rapporten", "{}-prisen"]

PERSON_ROLES = [
    "minister",
    "borgmester",
    "direktør",
    "forsker",
    "journalist",
    "general",
    "ambassadør",
    "formand",
    "fagforeningsleder",
    "landsholdsspiller",
    "forfatter",
    "økonom",
    "dommer",
    "partileder",
    "byrådsmedlem",
    "talsperson",
]
PLACE_KINDS = ["havneby", "landsby", "provinsby", "kystby", "ø", "region", "forstad"]
# What an entity is, from how its name is made: (name starts or ends with, noun phrase).
KINDS = [
    ("Operation ", "en militæroperation"),
    ("MS ", "et skib"),
    ("Projekt ", "et forskningsprojekt"),
    ("-aftalen", "en politisk aftale"),
    ("-topmødet", "et topmøde"),
    ("-krisen", "en krise"),
    ("-sagen", "en retssag"),
    ("-konferencen", "en konference"),
    ("-traktaten", "en traktat"),
    ("-protesterne", "en række protester"),
    ("-forliget", "et politisk forlig"),
    ("-planen", "en plan"),
    ("-loven", "en lov"),
    ("-rapporten", "en rapport"),
    ("-prisen", "en pris"),
    (" Kommune", "en kommune"),
    (" Havn", "en havn"),
    (" Universitet", "et universitet"),
    (" Sparekasse", "en sparekasse"),
    (" Energi", "et energiselskab"),
    (" Lufthavn", "en lufthavn"),
    (" Gruppen", "en virksomhed"),
    (" & Søn", "en familievirksomhed"),
    (" Holding", "et holdingselskab"),
    (" Rederi", "et rederi"),
    ("forening", "en forening"),
    ("forbund", "et forbund"),
    ("fond", "en fond"),
    ("råd", "et råd"),
    ("selskab", "et selskab"),
    ("akademi", "et akademi"),
    ("hus", "et mediehus"),
    ("tank", "en tænketank"),
    ("kammer", "et handelskammer"),
    ("forum", "et forum"),
]

# ---------------------------------------------------------------------------
# Articles and notes.

SECTIONS = ["Udland", "Indland", "Politik", "Økonomi", "Kultur", "Sport", "Klima", "Teknologi"]

TAGS = _words(
    """
valg regering folketinget kommuner regioner skat økonomi inflation renter boligmarkedet
arbejdsmarkedet ledighed overenskomst strejke landbrug fiskeri energi vindkraft solenergi
olie gas klima oversvømmelser tørke biodiversitet natur miljø forurening affald genbrug
transport jernbane trafik luftfart skibsfart havne broer sundhed hospitaler psykiatri
ældrepleje vacciner medicin uddannelse folkeskolen gymnasiet universiteter forskning
kultur litteratur film musik teater kunst museer arkitektur medier presse sport fodbold
håndbold cykling badminton atletik svømning sejlads tennis golf ishockey teknologi
internettet kunstig-intelligens cybersikkerhed data overvågning apps telefoner rumfart
satellitter forsvar nato eu fn diplomati sanktioner krig fred flygtninge migration
asyl integration kriminalitet politi retssager domstole korruption lobbyisme
menneskerettigheder ligestilling børn unge ældre familier boliger byudvikling
landdistrikter turisme handel eksport import toldsatser banker aktier pensioner
forsikring forbrugere priser fødevarer landbrugsstøtte dyrevelfærd jagt skove
grønland færøerne arktis østersøen nordsøen europa asien afrika amerika mellemøsten
valgkamp meningsmålinger partier koalitioner budget finanslov kongehuset kirken
religion historie mindedage jubilæer vejret storme hedebølger sne trafikuheld
brande ulykker redningsaktioner søredningen beredskab terror efterretninger spionage
desinformation propaganda valgsvindel ytringsfrihed demonstrationer fagbevægelsen
iværksættere startups konkurser fusioner opkøb it-systemer digitalisering
elbiler batterier brint atomkraft fjernvarme varmepumper energipriser elnettet
kystbeskyttelse havvind landvind klimatilpasning co2-afgift grøn-omstilling
"""
)

HEADINGS = [
    "Hvad ved vi indtil videre",
    "Derfor er det vigtigt",
    "Baggrunden",
    "Hvad sker der nu",
    "Sådan reagerer omverdenen",
    "Det siger eksperterne",
    "Tidslinjen",
    "Hvad betyder det for Danmark",
    "Kritikken",
    "Næste skridt",
    "Tallene bag sagen",
    "Et langt forløb",
    "Uenighed om vejen frem",
]

COMPOUND_PLACE = ["regionen", "området", "grænsen", "egnen", "borgmesteren"]
COMPOUND_ORG = ["formanden", "direktøren", "sagen", "udspillet"]
COMPOUND_PERSON = ["sagen", "udvalget", "planen"]

NOTE_EVENTS = _words(
    """
havnestrejken stormfloden brobyggeriet skovbranden jordskælvet valgskandalen
minekatastrofen togulykken skybruddet klimatopmødet grænsekonflikten energikrisen
datalækket hackerangrebet fiskerikonflikten bankkrakket mediestormen dopingsagen
folkeafstemningen generalstrejken vindmøllesagen skattesagen ubådssagen spionsagen
kabelbruddet olieudslippet hedebølgen lockouten budgetkrisen sygehusstriden
"""
)
NOTE_PREPOSITIONS = ["i", "ved", "omkring"]

MONTHS = [
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
]

FIRST_DAY = dt.date(2015, 1, 1)
LAST_DAY = dt.date(2025, 12, 31)
ZIPF_EXPONENT = 1.0
ZIPF_OFFSET = 3  # Zipf-Mandelbrot: weight 1 / (rank + offset) ** exponent

# ---------------------------------------------------------------------------
# Slugs and YAML.

_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_PLAIN_YAML = re.compile(r"^[a-zæøå][a-zæøå0-9-]*$")
_YAML_RESERVED = {"y", "n", "yes", "no", "true", "false", "on", "off", "null"}


def slugify(text: str, max_length: int = 80) -> str:
    """The same transliteration as generator/slugs.py: "Ærø Havn" -> "aeroe-havn"."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_DANISH))
    ascii_text = "".join(c for c in ascii_text if not unicodedata.combining(c))
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug


def yaml_str(text: str) -> str:
    """A double-quoted YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def yaml_list(items: Sequence[str]) -> str:
    """A flow sequence, with plain scalars where that is safe: [a, b]."""
    parts = [t if _PLAIN_YAML.match(t) and t not in _YAML_RESERVED else yaml_str(t) for t in items]
    return "[" + ", ".join(parts) + "]"


def capitalise(word: str) -> str:
    return word[:1].upper() + word[1:]


def genitive(name: str) -> str:
    """Danish genitive: "Nordviks", but "Kalvnæs'" after s, x or z."""
    return name + ("'" if name[-1] in "sxzSXZ" else "s")


def danish_date(day: dt.date, with_den: bool) -> str:
    text = f"{day.day}. {MONTHS[day.month - 1]} {day.year}"
    return "den " + text if with_den else text


# ---------------------------------------------------------------------------
# Prose.


class Prose:
    """Weighted random Danish words, sentences and phrases."""

    def __init__(self) -> None:
        words: list[str] = []
        weights: list[float] = []
        for group, weight in (
            (FUNCTION_WORDS, 7.0),
            (NOUNS, 1.6),
            (VERBS, 2.2),
            (ADJECTIVES, 1.6),
            (ADVERBS, 1.5),
        ):
            for rank, word in enumerate(group):
                words.append(word)
                # a gentle Zipf slope inside each group
                weights.append(weight / (1 + rank / 25))
        self.words = words
        self.cum_weights = list(itertools.accumulate(weights))
        self.content = NOUNS + ADJECTIVES + VERBS
        self.vocabulary = frozenset(words) | frozenset(COMMON_WORDS)

    def draw(self, rng: Random, n: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum_weights, k=n)

    def sentence(self, rng: Random, lo: int = 8, hi: int = 20) -> list[str]:
        """The words of one sentence, not yet capitalised or punctuated."""
        words = self.draw(rng, rng.randint(lo, hi))
        if rng.random() < 0.6:  # Danish main clauses put the verb second
            words[0] = rng.choice(NOUNS)
            words[1] = rng.choice(VERBS)
        return words

    def phrase(self, rng: Random, lo: int, hi: int) -> str:
        """A capitalised phrase without a full stop: headings, list items, titles."""
        words = rng.choices(self.content, k=rng.randint(lo, hi))
        for k in range(1, len(words), 3):
            words[k] = rng.choice(FUNCTION_WORDS)
        return capitalise(" ".join(words))

    @staticmethod
    def finish(words: list[str], rng: Random) -> str:
        """Capitalise, maybe add a comma, end with a full stop."""
        if len(words) > 9 and rng.random() < 0.4:
            k = rng.randrange(3, len(words) - 3)
            words[k] += ","
        return capitalise(" ".join(words)) + "."


# ---------------------------------------------------------------------------
# Entities.


@dataclass
class Entity:
    slug: str
    name: str
    type: str
    aliases: list[str] = field(default_factory=list)
    summary: str = ""
    demonym: str = ""  # lower-case adjective alias, if any
    short: str = ""  # an alias used alone in running text (surname, acronym, ...)

    def forms(self) -> list[tuple[str, str]]:
        """(text, where) pairs: the ways an article may mention this entity.

        where is "any" (a capitalised form, anywhere), "gen" (a genitive,
        followed by a noun), "start" (a lower-case alias, put first in a
        sentence and so capitalised) or "mid" (lower case, never first).
        """
        forms = [(self.name, "any"), (self.name, "any"), (genitive(self.name), "gen")]
        one_word = " " not in self.name and "-" not in self.name
        if one_word and self.type in ("place", "country"):
            forms.append((f"{self.name}-{{compound_place}}", "any"))
        if self.short:
            forms += [(self.short, "any"), (genitive(self.short), "gen")]
            if self.type == "organisation":
                forms.append((f"{self.short}-{{compound_org}}", "any"))
            elif self.type == "person":
                forms.append((f"{self.short}-{{compound_person}}", "any"))
        if self.demonym:
            forms += [(self.demonym, "start"), (self.demonym, "mid")]
        return forms


class NamePool:
    """Draws unique entity names, slugs and aliases from shuffled candidate lists."""

    def __init__(self, vocabulary: frozenset[str]) -> None:
        self.vocabulary = vocabulary
        self.claimed: set[str] = set()  # every name and alias, lower-cased
        self.slugs: set[str] = set()

    def usable(self, name: str) -> bool:
        key = name.lower()
        return (
            key not in self.claimed
            and key not in self.vocabulary
            and slugify(name) not in self.slugs
            and bool(slugify(name))
        )

    def claim(self, name: str) -> str:
        self.claimed.add(name.lower())
        slug = slugify(name)
        self.slugs.add(slug)
        return slug

    def alias_ok(self, alias: str) -> bool:
        key = alias.lower()
        return key not in self.claimed and key not in self.vocabulary and len(key) > 2

    def take(self, candidates: Iterator[str], count: int) -> list[str]:
        names: list[str] = []
        for name in candidates:
            if len(names) == count:
                break
            if self.usable(name):
                names.append(name)
                self.claim(name)
        return names


def shuffled(rng: Random, items: Sequence[str]) -> list[str]:
    out = list(items)
    rng.shuffle(out)
    return out


def demonym_of(name: str) -> str:
    """A lower-case adjective: Nordvik -> nordvikske, Valdorien -> valdoriske."""
    low = name.lower()
    if low.endswith("ien"):
        return low[:-3] + "iske"
    if low[-1] in "aeiouyæøå":
        return ""
    return low + "ske"


def place_candidates(rng: Random) -> Iterator[str]:
    base = shuffled(rng, [p + s for p in PLACE_PREFIXES for s in PLACE_SUFFIXES])
    base = [capitalise(b.lower()) for b in base]
    yield from base
    yield from shuffled(rng, [f"{m} {b}" for m in PLACE_MODIFIERS for b in base])


def country_candidates(rng: Random) -> Iterator[str]:
    yield from shuffled(rng, [s + x for s in COUNTRY_STEMS for x in COUNTRY_SUFFIXES])


def person_candidates(rng: Random) -> Iterator[str]:
    yield from shuffled(rng, [f"{f} {s}" for f in FIRST_NAMES for s in SURNAMES])
    yield from shuffled(
        rng,
        [f"{f} {g} {s}" for f in FIRST_NAMES[:40] for g in FIRST_NAMES[40:80] for s in SURNAMES],
    )


def org_candidates(rng: Random, places: list[str]) -> Iterator[str]:
    adj_noun = [f"{a} {n[0]}{n[1]}" for a in ORG_ADJECTIVES for n in ORG_NOUNS]
    by_place = [f"{p} {f}" for p in places for f in ORG_PLACE_FORMS]
    by_name = [f"{s} {f}" for s in SURNAMES for f in ORG_SURNAME_FORMS]
    yield from shuffled(rng, adj_noun + by_place + by_name)


def code_candidates(rng: Random, forms: list[str]) -> Iterator[str]:
    yield from shuffled(rng, [f.format(c) for c in CODEWORDS for f in forms])


def make_entities(rng: Random, count: int, prose: Prose) -> list[Entity]:
    """count entities with unique names, slugs and aliases, in Zipf rank order."""
    share = {
        "person": 0.45,
        "organisation": 0.18,
        "place": 0.17,
        "country": 0.05,
        "event": 0.08,
        "other": 0.07,
    }
    want = {t: int(count * s) for t, s in share.items()}
    want["person"] += count - sum(want.values())
    pool = NamePool(prose.vocabulary)
    # Countries and places first: organisations and summaries refer to them.
    countries = pool.take(country_candidates(rng), want["country"])
    places = pool.take(place_candidates(rng), want["place"])
    orgs = pool.take(org_candidates(rng, places), want["organisation"])
    events = pool.take(code_candidates(rng, EVENT_FORMS), want["event"])
    others = pool.take(code_candidates(rng, OTHER_FORMS), want["other"])
    short = count - len(countries) - len(places) - len(orgs) - len(events) - len(others)
    persons = pool.take(person_candidates(rng), short)
    if len(persons) < short:
        sys.exit(f"make_archive: cannot make {count} unique entity names")

    by_type = {
        "country": countries,
        "place": places,
        "organisation": orgs,
        "event": events,
        "other": others,
        "person": persons,
    }
    entities = [
        Entity(slug=slugify(name), name=name, type=t)
        for t, names in by_type.items()
        for name in names
    ]
    add_aliases(rng, entities, pool)
    anchors = countries or places or ["Danmark"]
    for e in entities:
        e.summary = summary_for(rng, e, anchors)
    rng.shuffle(entities)  # the Zipf rank order
    return entities


def add_aliases(rng: Random, entities: list[Entity], pool: NamePool) -> None:
    """Give entities 0-3 aliases that no other entity claims."""
    surnames = [e.name.rsplit(" ", 1)[1] for e in entities if e.type == "person"]
    surname_count: dict[str, int] = {}
    for s in surnames:
        surname_count[s] = surname_count.get(s, 0) + 1
    definite_count: dict[str, int] = {}
    for e in entities:
        parts = org_parts(e.name) if e.type == "organisation" else None
        if parts is not None:
            definite = parts[1][2]
            definite_count[definite] = definite_count.get(definite, 0) + 1
    for e in entities:
        candidates: list[tuple[str, str]] = []  # (alias, role)
        if e.type == "person":
            surname = e.name.rsplit(" ", 1)[1]
            if surname_count[surname] == 1:
                candidates.append((surname, "short"))
        elif e.type in ("place", "country"):
            if e.type == "country":
                candidates.append((f"{rng.choice(COUNTRY_FORMS)} {e.name}", ""))
            if " " not in e.name and (e.type == "country" or rng.random() < 0.6):
                demonym = demonym_of(e.name)
                if demonym:
                    candidates.append((demonym, "demonym"))
        elif e.type == "organisation":
            org = org_parts(e.name)
            if org is not None:
                adjective, (first, second, definite) = org
                acronym = (adjective[0] + first[0] + second[0]).upper()
                candidates.append((acronym, "short"))
                if definite_count.get(definite) == 1:
                    candidates.append((definite, ""))
        for alias, role in candidates:
            if pool.alias_ok(alias):
                pool.claimed.add(alias.lower())
                e.aliases.append(alias)
                if role == "short":
                    e.short = alias
                elif role == "demonym":
                    e.demonym = alias


def org_parts(name: str) -> tuple[str, tuple[str, str, str]] | None:
    """("Dansk", ("Vind", "råd", "Vindrådet")) for "Dansk Vindråd"."""
    adjective, _, noun = name.partition(" ")
    if adjective not in ORG_ADJECTIVES:
        return None
    for parts in ORG_NOUNS:
        if noun == parts[0] + parts[1]:
            return adjective, parts
    return None


def summary_for(rng: Random, e: Entity, anchors: list[str]) -> str:
    where = rng.choice(anchors)
    if e.type == "person":
        return f"{e.name} er {rng.choice(PERSON_ROLES)} med tilknytning til {where}."
    if e.type == "organisation":
        return f"{e.name} er {kind_of(e.name, 'en organisation')} i {where}."
    if e.type == "place":
        side = rng.choice(["nordlige", "sydlige", "østlige", "vestlige"])
        return f"{e.name} er en {rng.choice(PLACE_KINDS)} i det {side} {where}."
    if e.type == "country":
        return f"{e.name} er et land med omkring {rng.randint(2, 90)} millioner indbyggere."
    if e.type == "event":
        return f"{e.name} var {kind_of(e.name, 'en begivenhed')} i {rng.randint(2005, 2024)}."
    return f"{e.name} er {kind_of(e.name, 'et projekt')}, der ofte nævnes i dækningen af {where}."


def kind_of(name: str, default: str) -> str:
    for affix, kind in KINDS:
        if name.startswith(affix) if affix.endswith(" ") else name.endswith(affix):
            return kind
    return default


def entity_text(rng: Random, e: Entity, prose: Prose) -> str:
    body = [f"{e.name} {rng.choice(VERBS)} {' '.join(prose.draw(rng, rng.randint(8, 14)))}."]
    body += [prose.finish(prose.sentence(rng), rng) for _ in range(rng.randint(2, 4))]
    return (
        "---\n"
        f"name: {yaml_str(e.name)}\n"
        f"type: {e.type}\n"
        f"aliases: {'[' + ', '.join(yaml_str(a) for a in e.aliases) + ']'}\n"
        f"summary: {yaml_str(e.summary)}\n"
        "---\n"
        f"{' '.join(body)}\n"
    )


class Zipf:
    """Draws distinct entities, low ranks far more often than high ones."""

    def __init__(self, entities: list[Entity]) -> None:
        self.entities = entities
        self.cum = list(
            itertools.accumulate(
                1 / (r + ZIPF_OFFSET) ** ZIPF_EXPONENT for r in range(len(entities))
            )
        )

    def one(self, rng: Random) -> Entity:
        x = rng.random() * self.cum[-1]
        return self.entities[min(bisect.bisect_right(self.cum, x), len(self.entities) - 1)]

    def distinct(self, rng: Random, k: int) -> list[Entity]:
        k = min(k, len(self.entities))
        chosen: list[Entity] = []
        seen: set[str] = set()
        while len(chosen) < k:
            e = self.one(rng)
            if e.slug not in seen:
                seen.add(e.slug)
                chosen.append(e)
        return chosen


# ---------------------------------------------------------------------------
# Notes.


@dataclass
class Note:
    slug: str
    title: str
    date: dt.date
    triggers: list[str]
    entities: list[str]


def make_notes(rng: Random, count: int, entities: list[Entity], zipf: Zipf) -> list[Note]:
    """count notes with unique slugs and unique trigger phrases, each on a date."""
    anchors = [e for e in entities if e.type in ("place", "country")] or entities
    days = (LAST_DAY - FIRST_DAY).days + 1
    if count <= days:
        offsets = rng.sample(range(days), count)
    else:
        offsets = [rng.randrange(days) for _ in range(count)]
    used_triggers: set[str] = set()
    used_slugs: set[str] = set()
    notes: list[Note] = []
    attempts = 0
    while len(notes) < count:
        attempts += 1
        if attempts > count * 50 + 1000:
            sys.exit(f"make_archive: cannot make {count} notes with unique triggers")
        anchor = rng.choice(anchors)
        prep = rng.choice(NOTE_PREPOSITIONS)
        events = rng.sample(NOTE_EVENTS, rng.randint(1, 2))
        triggers = [f"{ev} {prep} {anchor.name}" for ev in events]
        if any(t in used_triggers for t in triggers):
            continue
        title = capitalise(triggers[0])
        slug = slugify(title)
        if slug in used_slugs:
            continue
        used_triggers.update(triggers)
        used_slugs.add(slug)
        related = [anchor.slug]
        for e in zipf.distinct(rng, rng.randint(0, 2) + 1):
            if e.slug not in related and len(related) < 3:
                related.append(e.slug)
        day = FIRST_DAY + dt.timedelta(days=offsets[len(notes)])
        notes.append(Note(slug, title, day, triggers, related))
    return notes


def note_text(rng: Random, note: Note, prose: Prose) -> str:
    opening = " ".join(prose.draw(rng, rng.randint(8, 14)))
    first = f"{capitalise(danish_date(note.date, True))} {opening}."
    body = [first] + [prose.finish(prose.sentence(rng), rng) for _ in range(rng.randint(1, 3))]
    return (
        "---\n"
        f"title: {yaml_str(note.title)}\n"
        f"date: {note.date.isoformat()}\n"
        f"triggers: {'[' + ', '.join(yaml_str(t) for t in note.triggers) + ']'}\n"
        f"entities: {yaml_list(note.entities)}\n"
        "---\n"
        f"{' '.join(body)}\n"
    )


# ---------------------------------------------------------------------------
# Articles.


@dataclass
class Insert:
    """A phrase to put into a sentence; "mid" ones never come first."""

    text: str
    where: str  # any | start | mid | gen


class ArticleMaker:
    def __init__(self, seed: int, entities: list[Entity], notes: list[Note], prose: Prose):
        self.seed = seed
        self.zipf = Zipf(entities)
        self.notes = notes
        self.prose = prose
        self.tag_cum = list(itertools.accumulate(1 / (r + 1) ** 0.9 for r in range(len(TAGS))))
        self.start = dt.datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day)
        self.minutes = (LAST_DAY - FIRST_DAY).days * 24 * 60 + 24 * 60 - 1
        self.slugs: set[str] = set()
        self.words = 0

    def rng_for(self, i: int) -> Random:
        return Random(f"explainer-archive/{self.seed}/article/{i}")

    def make(self, i: int) -> tuple[str, str]:
        """(relative path, file text) of article i."""
        rng = self.rng_for(i)
        prose = self.prose
        when = self.start + dt.timedelta(minutes=rng.randrange(self.minutes))
        when = when.replace(hour=rng.randint(6, 22))
        chosen = self.zipf.distinct(rng, rng.randint(5, 15))
        title = self.title(rng, chosen[0])
        slug = self.unique_slug(slugify(title) or "artikel")
        section = SECTIONS[min(int(rng.random() ** 1.5 * len(SECTIONS)), len(SECTIONS) - 1)]
        tags: list[str] = []
        for _ in range(rng.randint(0, 4)):
            tag = rng.choices(TAGS, cum_weights=self.tag_cum)[0]
            if tag not in tags:
                tags.append(tag)
        lead_words = prose.sentence(rng, 10, 20)
        lead_words.insert(rng.randint(0, len(lead_words)), chosen[0].name)
        lead = prose.finish(lead_words, rng)
        body = self.body(rng, chosen, i)
        front = [
            "---",
            f"title: {yaml_str(title)}",
            f"date: {when.strftime('%Y-%m-%dT%H:%M:00')}",
        ]
        if slug != slugify(title):
            front.append(f"slug: {slug}")
        front += [
            f"lead: {yaml_str(lead)}",
            f"section: {section}",
            f"tags: {yaml_list(tags)}",
            "source: Ritzau",
            "---",
        ]
        return f"{when.year}/{slug}.md", "\n".join(front) + "\n" + body

    def unique_slug(self, base: str) -> str:
        slug, n = base, 1
        while slug in self.slugs:
            n += 1
            slug = f"{base}-{n}"
        self.slugs.add(slug)
        return slug

    def title(self, rng: Random, top: Entity) -> str:
        n = rng.randint(5, 9)
        if rng.random() < 0.4 and len(top.name.split()) < n - 2:
            words = rng.choices(self.prose.content, k=n - len(top.name.split()))
            words.insert(rng.randint(0, len(words)), top.name)
        else:
            words = rng.choices(self.prose.content, k=n)
            for k in range(1, n, 3):
                words[k] = rng.choice(FUNCTION_WORDS)
        return capitalise(" ".join(words))

    def mentions(self, rng: Random, chosen: list[Entity]) -> list[Insert]:
        inserts: list[Insert] = []
        for rank, e in enumerate(chosen):
            forms = e.forms()
            times = rng.randint(2, 5) if rank == 0 else rng.randint(1, 3)
            for t in range(times):
                text, where = (e.name, "any") if t == 0 else rng.choice(forms)
                if where == "gen":
                    text = f"{text} {rng.choice(GENITIVE_HEADS)}"
                elif where in ("start", "mid"):
                    text = f"{text} {rng.choice(DEMONYM_HEADS)}"
                text = text.format(
                    compound_place=rng.choice(COMPOUND_PLACE),
                    compound_org=rng.choice(COMPOUND_ORG),
                    compound_person=rng.choice(COMPOUND_PERSON),
                )
                inserts.append(Insert(text, where))
        return inserts

    def body(self, rng: Random, chosen: list[Entity], i: int) -> str:
        prose = self.prose
        target = rng.randint(540, 660)
        n_paras = rng.randint(6, 12)
        n_quotes = rng.choice((0, 1, 1, 2, 2, 3))
        quote_at = set(rng.sample(range(1, n_paras), min(n_quotes, n_paras - 1)))
        per_para = max(12, target // n_paras)

        # paragraphs as lists of sentences, sentences as lists of words
        paras: list[list[list[str]]] = []
        for p in range(n_paras):
            budget = per_para // 2 if p in quote_at else per_para
            sentences: list[list[str]] = []
            size = 0
            while size < budget - 4:
                s = prose.sentence(rng)
                sentences.append(s)
                size += len(s)
            paras.append(sentences)

        inserts = self.mentions(rng, chosen)
        if self.notes and rng.random() < 0.2:
            note = rng.choice(self.notes)
            inserts.append(Insert(danish_date(note.date, rng.random() < 0.5), "mid"))
        if self.notes and rng.random() < 0.1:
            note = rng.choice(self.notes)
            inserts.append(Insert(rng.choice(note.triggers), "mid"))
        if rng.random() < 0.3:
            text = " ".join(rng.choices(self.prose.content, k=rng.randint(2, 4)))
            url = f"https://example.org/arkiv/{(i * 7919 + 13) % 1_000_003}"
            inserts.append(Insert(f"[{text}]({url})", "mid"))

        slots = [
            (p, s)
            for p, sentences in enumerate(paras)
            if p not in quote_at
            for s in range(len(sentences))
        ]
        for ins in inserts:
            p, s = rng.choice(slots)
            words = paras[p][s]
            if ins.where == "start":
                words.insert(0, ins.text)
            else:
                lo = 1 if ins.where == "mid" else 0
                words.insert(rng.randint(lo, len(words) - 1), ins.text)

        speakers = [e for e in chosen if e.type == "person"] or [self.zipf.one(rng)]
        blocks: list[str] = []
        headings = rng.sample(HEADINGS, rng.choice((0, 1, 1, 2, 2, 3)))
        heading_at = sorted(rng.sample(range(2, n_paras), len(headings)))
        list_at = rng.randrange(2, n_paras) if rng.random() < 0.2 else -1
        for p, sentences in enumerate(paras):
            if heading_at and p == heading_at[0]:
                heading_at.pop(0)
                blocks.append("## " + headings.pop())
            if p in quote_at:
                blocks.append(self.quote(rng, sentences, rng.choice(speakers)))
            else:
                blocks.append(" ".join(prose.finish(s, rng) for s in sentences))
            if p == list_at:
                items = [self.prose.phrase(rng, 3, 8) for _ in range(rng.randint(3, 5))]
                blocks.append("\n".join("- " + item for item in items))
        text = "\n\n".join(blocks) + "\n"
        self.words += text.count(" ") + len(blocks)
        return text

    def quote(self, rng: Random, sentences: list[list[str]], speaker: Entity) -> str:
        """A Danish speech paragraph: "– Vi ..., siger Mette Friis." (en dash)."""
        first = capitalise(" ".join(sentences[0]))
        rest = " ".join(self.prose.finish(s, rng) for s in sentences[1:])
        who = speaker.name
        if speaker.type == "person":
            said = f"{first}, siger {who}."
        else:
            said = f"{first}, lyder det fra {who}."
        return "– " + (f"{said} {rest}" if rest else said)


# ---------------------------------------------------------------------------
# Writing.

SITE_YAML = """\
title: "Benchmark-arkiv"
description: "Syntetisk arkiv til ydelsesmålinger"
language: da
timezone: Europe/Copenhagen
base_url: "https://example.org/arkiv/"
"""


def write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def make_archive(
    out: Path,
    articles: int,
    entities: int,
    notes: int,
    seed: int,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Write the project into out; returns counts of what was written."""
    prose = Prose()
    rng = Random(f"explainer-archive/{seed}/entities/{entities}")
    ents = make_entities(rng, entities, prose)
    zipf = Zipf(ents)
    nrng = Random(f"explainer-archive/{seed}/notes/{entities}/{notes}")
    note_list = make_notes(nrng, notes, ents, zipf) if ents else []

    content = out / "content"
    for sub in ("articles", "entities", "notes"):
        (content / sub).mkdir(parents=True, exist_ok=True)
    write(content / "site.yaml", SITE_YAML)

    erng = Random(f"explainer-archive/{seed}/entity-text")
    for e in sorted(ents, key=lambda e: e.slug):
        write(content / "entities" / f"{e.slug}.md", entity_text(erng, e, prose))
    for n in sorted(note_list, key=lambda n: n.slug):
        write(content / "notes" / f"{n.slug}.md", note_text(erng, n, prose))

    maker = ArticleMaker(seed, ents, note_list, prose)
    years: set[str] = set()
    for i in range(articles):
        rel, text = maker.make(i)
        year = rel.split("/", 1)[0]
        if year not in years:
            (content / "articles" / year).mkdir(exist_ok=True)
            years.add(year)
        write(content / "articles" / rel, text)
        if progress and (i + 1) % 10000 == 0:
            progress(f"  {i + 1} articles")
    return {
        "articles": articles,
        "words": maker.words,
        "entities": len(ents),
        "aliases": sum(len(e.aliases) for e in ents),
        "notes": len(note_list),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a deterministic synthetic explainer project (content/) into DIR."
    )
    parser.add_argument("--out", required=True, type=Path, metavar="DIR")
    parser.add_argument("--articles", type=int, default=10_000, metavar="N")
    parser.add_argument("--entities", type=int, default=2_000, metavar="M")
    parser.add_argument("--notes", type=int, default=200, metavar="K")
    parser.add_argument("--seed", type=int, default=1, metavar="S")
    parser.add_argument(
        "--force", action="store_true", help="replace DIR/content if it already has files"
    )
    args = parser.parse_args(argv)
    if min(args.articles, args.entities, args.notes) < 0:
        parser.error("counts must not be negative")
    if args.notes and not args.entities:
        parser.error("notes need entities (--entities > 0)")
    content = args.out / "content"
    if content.exists() and any(content.iterdir()):
        if not args.force:
            parser.error(f"{content} is not empty (use --force to replace it)")
        shutil.rmtree(content)

    started = time.perf_counter()
    counts = make_archive(
        args.out,
        args.articles,
        args.entities,
        args.notes,
        args.seed,
        progress=lambda msg: print(msg, file=sys.stderr),
    )
    elapsed = time.perf_counter() - started
    print(
        f"make_archive: wrote {counts['articles']} articles (~{counts['words']:,} words), "
        f"{counts['entities']} entities ({counts['aliases']} aliases), "
        f"{counts['notes']} notes to {content} (seed {args.seed}) in {elapsed:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

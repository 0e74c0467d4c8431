"""Does a sentence fill the asked slot? QuestionFrame x parsed sentence -> the filler spans (or none).

A filler is a span of the asked type that the question does not already contain: a new person for "who", an
amount of money for "how much did X pay", a number counting the asked noun for "how many X", a date for
"when". This is the check that tells "fills the asked slot" from "mentions the topic": a sentence about
Robben's injury that names no new person does not answer "which player's challenge broke his foot?".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assistant.answering.nlp import parse
from assistant.answering.question import QuestionFrame
from assistant.answering.text import entity_in, word_matches
from assistant.text import fold, words
from assistant.types import Passage

NAME_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE"}
)
_LABELS: dict[str, frozenset[str]] = {
    "person": frozenset({"PERSON"}),
    "agent": frozenset({"PERSON", "ORG", "NORP", "GPE", "PRODUCT"}),
    "org": frozenset({"ORG", "PERSON", "NORP", "GPE", "PRODUCT", "FAC", "WORK_OF_ART"}),
    "place": frozenset({"GPE", "LOC", "FAC", "ORG"}),
    "name": NAME_LABELS,
    "date": frozenset({"DATE", "TIME"}),
    "money": frozenset({"MONEY"}),
    "percent": frozenset({"PERCENT"}),
    "quantity": frozenset({"QUANTITY", "TIME", "CARDINAL", "PERCENT", "MONEY", "DATE"}),
}
_MONEY = re.compile(
    r"[£$€¥]\s?\d[\d,.]*(?:\s?(?:bn|m|k|million|billion|trillion))?|"
    r"\b\d[\d,.]*\s?(?:bn|m|k|million|billion|trillion)?\s?(?:pounds|dollars|euros|yuan|yen|rupees|francs|pence|"
    r"cents|rand|roubles|rubles|kroner|krona)\b",
    re.I,
)
# A product and its model number: "Nokia 3220", "Xbox 360", "Half-Life 2", "Pro Evolution Soccer 4"
_MODEL = re.compile(r"\b[A-Z][\w-]*(?: [A-Z][\w-]*){0,3} \d[\dA-Za-z]*\b(?![-–.,]\d)")
_PERCENT = re.compile(r"\b\d[\d,.]*\s?(?:%|per cent|percent|percentage points?)", re.I)
_SCORE = re.compile(r"\b\d{1,3}\s?[-–]\s?\d{1,3}\b")
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds "
    "thousand thousands million millions billion dozen dozens"
).split()
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)s?$")
_DATE_WORDS = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|december|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|(19|20)\d\d)\b",
    re.I,
)
_PEOPLE_NOUNS = frozenset(
    (
        "people person worker staff employee job post fan spectator supporter viewer visitor customer user "
        "subscriber member voter resident passenger child student adult player victim citizen listener reader "
        "patient officer soldier troop man woman"
    ).split()
)
_QUOTE_MARKS = '"“”'


@dataclass(frozen=True)
class Filler:
    text: str
    start: int  # character offsets in the sentence
    end: int
    label: str


_UNINITIALLED = ("for", "in", "on", "to")  # words an acronym skips ("Department for Transport" -> DfT)


def _is_new(text: str, frame: QuestionFrame) -> bool:
    """A filler the question already gives is no answer ("When did X join in 2004?" -> not 2004), nor is a
    name built on one of the question's names ("The Jimi Hendrix Experience" does not answer who bought
    Hendrix's guitar)."""
    parts = [fold(w) for w in words(text)]
    content = [p for p in parts if p not in ("the", "a", "an", "of", "and", "s")]
    if not content:
        return False
    known = [p for p in content if p in frame.words]
    if len(known) >= 2 and len(known) >= 2 * len(content) / 3:
        return False  # "the Yantai State Asset Management Bureau" for "the Yantai state asset bureau"
    folded = " ".join(parts)
    for entity in frame.entities:
        entity_words = [fold(w) for w in words(entity)]
        if len(entity_words) >= 2 and f" {' '.join(entity_words)} " in f" {folded} ":
            return False
        # the question's short form of the filler, or the other way round: "TGWU" for "the Transport and
        # General Workers Union", "Mobile Data Association" for "MDA"
        entity_initials = "".join(w[0] for w in entity_words if w not in ("of", "and", "the", *_UNINITIALLED))
        short = "".join(entity_words)
        initials = "".join(p[0] for p in content if p != short and p not in _UNINITIALLED)
        if (len(entity_words) == 1 and len(content) >= 2 and initials == short) or (
            len(entity_words) >= 2 and len(content) == 1 and content[0] == entity_initials
        ):
            return False
    return not all(p in frame.words or any(word_matches(p, q) for q in frame.words if len(q) > 3) for p in content)


def _regex_fillers(pattern: re.Pattern[str], sentence: str, label: str) -> list[Filler]:
    return [Filler(m.group(0), m.start(), m.end(), label) for m in pattern.finditer(sentence)]


def _number_tokens(doc: Any) -> list[Any]:
    return [
        t
        for t in doc
        if (t.like_num or t.lower_ in _NUMBER_WORDS or (t.lower_ in ("a", "an") and t.head.lower_ in ("dozen",)))
        and not _YEAR.match(t.text)
    ]


def _counts(token: Any, noun: str) -> bool:
    """Does the number `token` count `noun` (its head, or a noun right after it, is that noun)?"""
    targets = [token.head] + [t for t in token.doc[token.i + 1 : token.i + 5] if t.pos_ in ("NOUN", "PROPN")]
    for target in targets:
        lemma = target.lemma_.lower()
        if lemma == noun or word_matches(noun, lemma) or word_matches(noun, target.lower_):
            return True
        if noun in _PEOPLE_NOUNS and lemma in _PEOPLE_NOUNS:
            return True
    return False


def fillers(frame: QuestionFrame, doc: Any) -> list[Filler]:
    """The spans of `doc` (a parsed sentence) that fill `frame`'s slot; [] when it does not."""
    sentence = doc.text
    slot = frame.slot
    found: list[Filler] = []
    if slot in _LABELS:
        labels = _LABELS[slot]
        found = [Filler(e.text, e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in labels]
        if slot == "money":
            found += _regex_fillers(_MONEY, sentence, "MONEY")
        elif slot == "percent":
            found += _regex_fillers(_PERCENT, sentence, "PERCENT")
        elif slot == "date":
            found += _regex_fillers(_DATE_WORDS, sentence, "DATE")
        elif slot == "quantity":
            found += [Filler(t.text, t.idx, t.idx + len(t.text), "NUMBER") for t in _number_tokens(doc)]
        elif slot == "name":
            found += [
                Filler(m.group(1), m.start(1), m.end(1), "TITLE")
                for m in re.finditer(r"[\"“‘']([A-Z][^\"”’']{2,60})[\"”’']", sentence)
            ]
            found += [f for f in _regex_fillers(_MODEL, sentence, "MODEL") if not _DATE_WORDS.match(f.text)]
    elif slot == "count":
        for tok in _number_tokens(doc):
            if frame.count_noun is None or _counts(tok, frame.count_noun):
                found.append(Filler(tok.text, tok.idx, tok.idx + len(tok.text), "COUNT"))
    elif slot == "score":
        found = _regex_fillers(_SCORE, sentence, "SCORE")
    found = [f for f in found if _is_new(f.text, frame)]
    if slot in ("agent", "org", "person", "place") and not _REPORTING_WORD.search(frame.text):
        found = [f for f in found if not _reporter(f, doc, frame.words)]
    if slot in ("agent", "org", "person"):
        found = [f for f in found if not _descriptor(f, doc) and not _location(f, doc)]
    elif slot == "count":
        found = [f for f in found if not _in_amount(f, doc)]
    if slot == "date":  # "earlier this month", "recently", "a 10-month plan", "the 22-year-old" do not answer "when"
        found = [
            f
            for f in found
            if _SPECIFIC_DATE.search(f.text) and not _DURATION.match(f.text) and not _names_a_thing(f, doc)
        ]
    if frame.asked_noun and slot in ("person", "org", "place", "name"):
        found = _near_asked_noun(frame.asked_noun, doc, found)
        noun = frame.asked_noun
        if noun in _FACILITY_NOUNS:
            # "which airport / ground / park": a city or country is where it is, not its name; "the Nairobi
            # Serena Hotel" names a hotel, not a park
            kin = next((g for g in _FACILITY_KIN if noun in g), {noun})
            found = [
                f
                for f in found
                if (f.label != "GPE" or noun in fold(f.text))
                and not (_kind_of(f) in _FACILITY_NOUNS and _kind_of(f) not in kin)
            ]
        elif noun in _REGION_NOUNS:  # "which county / city / country": a place name, not a firm or a team
            found = [f for f in found if f.label in ("GPE", "LOC")]
        elif noun in _BUSINESS_NOUNS:  # "which company": not a country ("England" may be a team, never a firm)
            found = [f for f in found if f.label not in ("GPE", "LOC", "NORP")]
    return found


_FACILITY_NOUNS = frozenset(
    "venue stadium ground park street hotel hospital prison airport circuit course theatre cinema arena port "
    "building church cathedral school jail court track bridge square palace museum gallery club".split()
)
_FACILITY_KIN = [frozenset("ground stadium park arena venue field".split()), frozenset("prison jail".split())]
_BUSINESS_NOUNS = frozenset(
    "company firm bank airline carrier retailer maker manufacturer giant operator insurer lender bidder consortium "
    "publisher broadcaster network channel label studio brand newspaper magazine website supermarket chain "
    "business distributor developer".split()
)
_REGION_NOUNS = frozenset(
    "country city town region state county nation capital village island district province continent suburb "
    "borough neighbourhood neighborhood".split()
)


def _kind_of(filler: Filler) -> str:
    """The last word of a name says what it names: "Serena Hotel" -> hotel, "Windsor Park" -> park."""
    parts = words(filler.text)
    return fold(parts[-1]) if parts else ""


_REPORTING = frozenset("say tell report announce confirm state add claim reveal quote".split())
_REPORTING_WORD = re.compile(
    r"\b(say|says|said|tell|tells|told|report|reports|reported|announce|announced|confirm|confirmed|state|stated|"
    r"claim|claimed|reveal|revealed|quote|quoted|according)\b",
    re.I,
)


def _reporter(filler: Filler, doc: Any, question_words: frozenset[str]) -> bool:
    """ "..., Downing Street said." / "according to Reuters": who reports a fact is not the fact asked for,
    unless the question is about the telling ("who announced ...")."""
    root = _span_root(filler, doc)
    if root is None:
        return False
    if any(c.dep_ in ("relcl", "appos", "acl") for c in root.children):
        return False  # "Maciej Sundra, who designed the interface, said": what he did is said about him
    if any(t.pos_ in ("NOUN", "ADJ") and fold(t.text) in question_words for t in root.lefts):
        return False  # "Fox chief executive Peter Chernin said" names him by the role asked about
    if root.dep_ == "nsubj" and root.head.lemma_.lower() in _REPORTING:
        verb = root.head
        if verb.dep_ in ("parataxis", "ccomp"):
            return True  # "..., Downing Street said."
        # "X said the troops were in Brunei" reports; "Ford said it bought the firm" is Ford's own act
        reported = [c for c in verb.children if c.dep_ in ("ccomp", "parataxis")]
        subjects = [g for c in reported for g in c.children if g.dep_ in ("nsubj", "nsubjpass")]
        return bool(reported) and all(g.pos_ != "PRON" for g in subjects)
    return root.dep_ == "pobj" and root.head.lower_ == "to" and root.head.head.lower_ == "according"


_LOCATIVE = frozenset({"in", "at", "near", "outside", "inside", "across", "throughout", "around"})


def _location(filler: Filler, doc: Any) -> bool:
    """ "told a radio station in California": a place the sentence happens in does not answer "who"."""
    root = _span_root(filler, doc)
    return (
        filler.label in ("GPE", "LOC", "FAC")
        and root is not None
        and root.dep_ == "pobj"
        and root.head.lower_ in _LOCATIVE
    )


def _span_root(filler: Filler, doc: Any) -> Any:
    span = doc.char_span(filler.start, filler.end, alignment_mode="expand")
    return None if span is None else span.root


_OF_PLACE = frozenset("based born owned listed registered headquartered made built educated raised".split())


def _descriptor(filler: Filler, doc: Any) -> bool:
    """A nationality or place used as an adjective ("US rock band", "the Italian liqueur maker") describes
    someone; it does not name who."""
    root = _span_root(filler, doc)
    if root is None:
        return False
    after = doc[root.i + 1 : root.i + 3]
    if len(after) == 2 and after[0].text == "-" and after[1].lower_ in _OF_PLACE:
        return True  # "a US-based distributor", "the Dutch-owned firm", "a London-listed company"
    if root.dep_ not in ("amod", "compound"):
        return False
    # "Italian Ranieri" too; but "Chelsea" in "Chelsea's Frank Lampard" or "Valencia" in "Valencia coach" may
    # be the club asked for, so a place name only as an adjective of a common noun
    return filler.label == "NORP" or (filler.label == "GPE" and root.head.pos_ == "NOUN")


def _in_amount(filler: Filler, doc: Any) -> bool:
    """The 100,000 of "£100,000-a-year" or "20%" is an amount, not a count of anything."""
    root = _span_root(filler, doc)
    if root is None:
        return False
    if root.ent_type_ in ("MONEY", "PERCENT"):
        return True
    before = doc[root.i - 1].text if root.i > 0 else ""
    after = doc[root.i + 1].lower_ if root.i + 1 < len(doc) else ""
    return (before != "" and before[-1] in "£$€¥") or after in ("%", "percent")


_SPECIFIC_DATE = re.compile(
    r"\d|\b(january|february|march|april|may|june|july|august|september|october|november|december|monday|"
    r"tuesday|wednesday|thursday|friday|saturday|sunday|spring|summer|autumn|winter|christmas|easter|new year|"
    r"yesterday|today|tomorrow|tonight|weekend)\b",
    re.I,
)


_TIME_NOUNS = frozenset("morning afternoon evening night day week weekend month year season decade".split())


def _names_a_thing(filler: Filler, doc: Any) -> bool:
    """A date that is part of a thing's name or description says nothing about when: "ITV1's *Saturday*
    morning children's show", "the *Sunday* Times". Up through the date's own words ("Saturday morning"),
    then: is it a modifier of a noun that is not a time? Only for dates without digits: "the 2004 Olympics"
    does say when."""
    token = _span_root(filler, doc)
    if token is None or any(ch.isdigit() for ch in filler.text):
        return False
    while token.dep_ in ("compound", "nummod", "amod", "npadvmod") and token.head is not token:
        head = token.head
        if head.lower_ in _TIME_NOUNS or _SPECIFIC_DATE.search(head.text):
            token = head
            continue
        return head.pos_ in ("NOUN", "PROPN") and token.dep_ in ("compound", "nummod", "amod")
    return False


_DURATION = re.compile(
    rf"^(?:about |almost |nearly |more than |over |just |the )?(?:\d[\d.,]*|a|an|{'|'.join(_NUMBER_WORDS)}|several|few)"
    r"[- ](?:year|month|week|day|hour|minute|second|decade)s?(?:-old| old| long)?$",
    re.I,
)


def _near_asked_noun(noun: str, doc: Any, found: list[Filler]) -> list[Filler]:
    """When the sentence uses the asked noun ("which park"), the answer is the name attached to it ("Uhuru
    Park", "the park, Uhuru"), not a name elsewhere in the sentence."""
    mentions = [t.i for t in doc if t.lemma_.lower() == noun or t.lower_ == noun]
    if not mentions:
        return found  # the sentence words it differently: nothing to hold the filler to
    near = []
    for filler in found:
        span = doc.char_span(filler.start, filler.end, alignment_mode="expand")
        if span is None:
            continue
        # "a park in Kenya", "the mayor of London": a name hung on the noun by a preposition is not its name
        hung = span.root.dep_ == "pobj" and span.root.head.head.i in mentions
        if not hung and any(span.start - 3 <= i < span.end + 3 for i in mentions):
            near.append(filler)
    return near


def _names(speaker: str, text: str) -> bool:
    return not words(speaker) or entity_in(speaker, {fold(w) for w in words(text)})


_PRONOUN_SAYS = re.compile(
    r"^\W*(he|she|they)\b.{0,40}\b(said|says|added|told|warned|argued|insisted|claimed)\b|"
    r"\b(he|she) (said|says|added|told|warned|argued|insisted|claimed)\b",
    re.I,
)


_SAY_LEMMAS = frozenset(
    (
        "say tell add warn argue claim insist explain describe declare announce believe admit note urge "
        "suggest comment reveal maintain acknowledge confirm deny predict vow promise pledge write reply "
        "respond call accuse blame praise criticise criticize welcome dismiss reject defend concede joke hail "
        "brand label think feel hope fear expect ask answer stress recall complain"
    ).split()
)


def _says(speaker: str, doc: Any) -> bool:
    """Is `speaker` the one talking in `doc`: subject of a say-verb ("X said", "said X") or "according to X"?"""
    for tok in doc:
        if tok.lemma_.lower() in _SAY_LEMMAS and tok.pos_ in ("VERB", "AUX"):
            for child in tok.children:
                if child.dep_ in ("nsubj", "nsubj:pass") and _names(speaker, " ".join(t.text for t in child.subtree)):
                    return True
        if tok.lower_ == "according" and _names(speaker, " ".join(t.text for t in tok.subtree)):
            return True
    return False


def attributed(frame: QuestionFrame, doc: Any, before: str, after: str) -> bool:
    """For "what did X say": X says it — X is the subject of the sentence's say-verb, or the sentence is a
    quotation (or a "he said") that the sentence before or after attributes to X. "X was praised by police"
    names X but is not X speaking."""
    if frame.speaker is None:
        return True
    sentence = doc.text
    quoted = any(m in sentence for m in _QUOTE_MARKS)
    if _says(frame.speaker, doc):
        return True
    if quoted or _PRONOUN_SAYS.search(sentence):
        return _names(frame.speaker, before) or (quoted and _names(frame.speaker, after))
    return False


# Verbs a question and its answer often use for the same event ("who bought" ~ "acquired", "snapped up").
_PREDICATE_GROUPS = [
    "buy bought purchase acquire acquisition takeover take snap sell sold sale deal bid",
    "replace replacement succeed successor take over appoint appointment name named hire recruit sign bring new",
    "win won beat defeat victory claim clinch triumph title champion",
    "lose lost defeat beaten loss",
    "leave quit resign resignation step stand depart departure exit sack sacked fire dismiss oust axe",
    "die died death dead kill killed",
    "launch unveil introduce release debut open",
    "sue lawsuit legal action court case claim",
    "ban banned suspend suspension bar",
    "fine fined penalty pay paid settle settlement",
    "score scored goal net strike",
    "rise rose increase grow grew growth jump climb up surge gain",
    "fall fell drop decline slump down plunge cut",
    "arrest arrested detain charge charged",
    "say said tell told claim argue warn describe call",
    "cost price pay paid spend spent worth value fetch",
    "found founded set establish create start",
    "direct director film make",
    "write wrote author pen compose",
    "vote voted ballot elect election",
]
_GROUP_OF: dict[str, set[int]] = {}
for _i, _group in enumerate(_PREDICATE_GROUPS):
    for _w in _group.split():
        _GROUP_OF.setdefault(_w, set()).add(_i)


def _related(a: str, b: str) -> bool:
    return a == b or word_matches(a, b) or bool(_GROUP_OF.get(a, set()) & _GROUP_OF.get(b, set()))


def anchor_tokens(frame: QuestionFrame, doc: Any) -> list[int]:
    """Token positions in `doc` that carry the question's predicate, asked noun or counted noun."""
    keys = [*frame.predicates, *(n for n in (frame.asked_noun, frame.count_noun) if n)]
    out = []
    for tok in doc:
        lemma = tok.lemma_.lower()
        if tok.is_stop or tok.is_punct or len(lemma) < 3:
            continue
        if any(_related(k, lemma) or _related(k, tok.lower_) for k in keys):
            out.append(tok.i)
    return out


_CORE_ROLES = frozenset({"nsubj", "nsubjpass", "dobj", "agent", "attr", "appos", "ROOT", "conj", "dative"})


def role(doc: Any, found: list[Filler]) -> float:
    """1 when a filler is a core argument (subject, object, apposition) of its clause, not a side detail."""
    for filler in found:
        head = _span_root(filler, doc)
        if head is None:
            continue
        while head.dep_ in ("compound", "nummod", "quantmod", "poss", "amod") and head.head is not head:
            head = head.head
        if head.dep_ in _CORE_ROLES or (head.dep_ == "pobj" and head.head.lower_ == "by"):
            return 1.0
    return 0.0


def specific(found: list[Filler]) -> float:
    """Dates and amounts with digits ("17 October 2000", "$162bn") beat vague ones ("last year", "millions")."""
    return float(any(any(ch.isdigit() for ch in f.text) for f in found))


def _path_length(a: Any, b: Any) -> int:
    """Arcs between two tokens in the dependency tree."""
    up_a = [a, *a.ancestors]
    depth = {t.i: d for d, t in enumerate(up_a)}
    for d_b, t in enumerate([b, *b.ancestors]):
        if t.i in depth:
            return depth[t.i] + d_b
    return 99


def tie(doc: Any, found: list[Filler], anchor_positions: list[int]) -> float:
    """How closely a filler is bound to the question's predicate or asked noun in the parse: 1 = directly.

    "Y bought X" / "X was bought by Y" / "Y, the buyer of X" put the filler Y one or two arcs from the
    anchor; a name elsewhere in the sentence is further away. `anchor_positions` come from `anchor_tokens`.
    """
    anchors = [doc[i] for i in anchor_positions]
    if not found or not anchors:
        return 0.0
    best = 99
    for filler in found:
        span = doc.char_span(filler.start, filler.end, alignment_mode="expand")
        if span is None:
            continue
        for a in anchors:
            if span.start <= a.i < span.end:
                best = 0
                continue
            best = min(best, _path_length(span.root, a))
    return 1.0 / best if 0 < best < 99 else (1.0 if best == 0 else 0.0)


def slot_check_for(frame: QuestionFrame) -> Callable[[str, Passage], bool] | None:
    """The check a generated sentence must pass: it carries a filler of the asked slot, found in its passage.

    Shared with the extractive path's reading, so a language model's "related fact from the right article"
    is held to the same standard as an extracted sentence. None for untyped questions (why, what happened).
    """
    if not frame.typed:
        return None

    def check(sentence: str, passage: Passage) -> bool:
        source = fold(passage.title + " " + passage.text)
        return any(fold(f.text) in source for f in fillers(frame, parse([sentence])[0]))

    return check


# "Who/which ..." within the question's first four words: it may ask for a person ("In which year" is left out too).
_ASKS_WHO = re.compile(r"^\W*(?:\w+\W+){0,3}?(?:who|whom|whose|which)\b", re.I)
# A sentence that opens on a pronoun or a description may be about the question's person without naming them.
_OPENS_ON_REFERENCE = re.compile(r"^\W*(he|she|they|his|her|their|the|this|that)\b", re.I)


def rival_holder(frame: QuestionFrame, doc: Any) -> str | None:
    """The other person a sentence is about, when the question asks a detail of a named person the sentence does
    not name: "What was Oliver Letwin's majority?" is not answered by "Michael Howard won the seat with a majority
    of 5,907" (a near miss of the "wrong entity" kind: the asked detail is given, but of someone else).

    Only for details of a person (who the person is, the asked slot, is a filler, not a rival), and only when the
    other person is the sentence's grammatical subject, so a name the sentence merely mentions does not count.
    """
    if frame.slot in ("person", "agent", "org", "quote") or _ASKS_WHO.match(frame.text):
        return None  # "Which Ulster forward ...?" may ask for a person the question analysis did not type
    if not frame.people or _REPORTING_WORD.search(frame.text):
        return None
    sentence_words = {fold(w) for w in words(doc.text)}
    if any(entity_in(p, sentence_words) for p in frame.people) or _OPENS_ON_REFERENCE.match(doc.text):
        return None
    question_words = {fold(w) for w in words(frame.text)}
    subject_tokens = {
        t.i
        for root in doc
        if root.dep_ == "ROOT"
        for c in root.children
        if c.dep_ in ("nsubj", "nsubjpass")
        for t in c.subtree
    }
    for ent in doc.ents:
        if (
            ent.label_ == "PERSON"
            and ent.start in subject_tokens
            and not {fold(w) for w in words(ent.text)} & question_words
        ):
            return str(ent.text)
    return None

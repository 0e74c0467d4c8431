"""Question analysis: what slot is asked, about whom, tied to which predicate -> a typed `QuestionFrame`.

"Which Blackburn player's challenge broke Robben's foot?" asks for a *person* (the player), tied to the
predicate *break*, about the entities Blackburn and Robben. The answerer accepts a sentence only when it holds
a new filler of that slot; a sentence that merely mentions Robben's injury does not answer.

Slots come from the question's wording (wh-word, the noun a "which"/"what" governs, "how many X") with
spaCy's parse for the governed noun, the counted noun and the predicate lemmas.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from assistant.answering.nlp import parse
from assistant.answering.text import FRAME_WORDS, find_entities
from assistant.text import fold

Slot = Literal[
    "person",  # a person's name
    "org",  # a company, club, party, band...
    "agent",  # who: a person or an organisation
    "place",
    "date",
    "money",
    "percent",
    "count",  # how many <count_noun>
    "quantity",  # a measure: time, distance, age, size...
    "score",
    "name",  # a named thing: a film, album, award, product...
    "quote",  # what <speaker> said
    "reason",
    "fact",  # anything else: no typed check
]
TYPED_SLOTS: frozenset[str] = frozenset(
    {"person", "org", "agent", "place", "date", "money", "percent", "count", "quantity", "score", "name"}
)

# The noun a "which/what" governs decides the slot ("which player" -> person). Lemmas, lower case.
_NOUN_SLOTS: dict[str, Slot] = {}
for _slot, _nouns in {
    "person": "player man woman person minister politician actor actress singer star director manager coach boss "
    "executive chief chairman chairwoman president leader judge author writer musician rapper presenter host "
    "footballer striker winger defender midfielder goalkeeper keeper batsman bowler captain official spokesman "
    "spokeswoman lawyer mp member peer secretary chancellor producer comedian athlete runner sprinter driver "
    "rider boxer golfer jockey referee candidate designer founder owner investor buyer seller successor "
    "replacement economist analyst expert scientist researcher doctor celebrity artist guitarist drummer "
    "vocalist frontman dj novelist poet playwright presenter child son daughter wife husband mayor governor "
    "senator ambassador king queen prince princess pope bishop cardinal general commander detective officer "
    "chef teacher professor pilot boyfriend girlfriend mother father brother sister servant aide adviser "
    "advisor spokesperson chairperson commissioner inspector campaigner activist protester hacker victim",
    "org": "company firm group bank club team side party network channel broadcaster airline carrier band label "
    "studio retailer maker manufacturer giant operator agency organisation organization body union newspaper "
    "paper magazine publisher website university school charity council regulator watchdog supermarket "
    "chain brand business insurer lender bidder consortium rival partner developer distributor station outfit",
    "place": "country city town venue stadium ground park region state county nation capital village island area "
    "street hotel hospital prison airport circuit course location place airport theatre cinema arena port site "
    "part district neighbourhood neighborhood suburb borough province city-state continent",
    "date": "year date day month week season decade century",
    "name": "film movie album song single book show programme program series play award prize category game title "
    "product phone console device drug model software event tournament competition race trophy role character "
    "brand name word nickname technology system service format record",
}.items():
    for _noun in _nouns.split():
        _NOUN_SLOTS.setdefault(_noun, _slot)  # type: ignore[arg-type]

_MONEY_NOUNS = (
    "price|cost|costs|fee|fees|fine|salary|sum|value|budget|profit|profits|loss|losses|revenue|revenues|sales|"
    "turnover|deficit|surplus|debt|debts|bill|bid|offer|deal|pay|payout|compensation|damages|bonus|wage|wages|"
    "earnings|income|investment|funding|fund|tax|valuation|worth|prize money|takings|gross"
)
_RULES: list[tuple[re.Pattern[str], Slot]] = [
    (re.compile(r"\bhow many\b"), "count"),
    (
        re.compile(
            rf"\bhow much\b.*\b(pay|paid|cost|spend|spent|earn|earned|raise|raised|sell|sold|buy|bought|"
            rf"invest|invested|worth|charge|charged|fine|fined|owe|owed|borrow|borrowed|give|gave|donate|"
            rf"donated|lose|lost|make|made|win|won|receive|received|fetch|fetched|offer|offered|bid|pocket|"
            rf"pocketed|net|netted|scoop|scooped|award|awarded|"
            rf"{_MONEY_NOUNS})\b"
        ),
        "money",
    ),
    (re.compile(rf"\bhow (much|large|big|high|heavy)( a| an)? ({_MONEY_NOUNS})\b"), "money"),
    (
        re.compile(
            r"\b(what|which) (percentage|proportion|share|fraction|per cent|percent)\b|\bby what percentage\b|"
            r"\bwhat (was|is|were|are) (the |its |their )?([\w'’-]+ ){0,2}(rate|percentage|proportion)\b"
        ),
        "percent",
    ),
    (
        re.compile(
            rf"\bwhat (was|is|were|are|will be|would be|had been|has been)( the| its| their| his| her)?"
            rf"( [\w'’-]+){{0,3}} ({_MONEY_NOUNS})\b|\bfor how much\b|\bat what (price|cost)\b"
        ),
        "money",
    ),
    (
        re.compile(
            r"\b(what|which) (was |is )?(the )?(final |half-time )?(score|scoreline)\b|\bby what (score|margin)\b|"
            r"\bwhat score\b"
        ),
        "score",
    ),
    (
        re.compile(
            r"\bhow (much|long|far|fast|old|big|large|high|tall|heavy|deep|often|quickly|soon)\b|\bby how\b|"
            r"\bwhat (time|distance|age|speed|height|margin|length|size|temperature|figure|total|number|amount)\b|"
            r"\bwhat (was|is|were|are) (the |its |their |his |her )?([\w'’-]+ ){0,2}(number|figure|total|amount|size|"
            r"margin|time|distance|age|capacity|population|attendance|majority|target|limit|ranking|rank|"
            r"position|place)\b"
        ),
        "quantity",
    ),
    (
        re.compile(
            r"^\s*when\b|\bwhen (did|does|do|is|was|were|will|would|has|had)\b|\bdate of birth\b|"
            r"\bwhat (?:is|was|were) (?:the |his |her |its |their )?(?:exact )?(?:date|day|year)\b|"
            r"\b(what|which) (year|date|day|month|season|week|decade)\b|\bin what year\b|\bhow long ago\b|"
            r"\bsince when\b|\buntil when\b|\bby when\b"
        ),
        "date",
    ),
    (re.compile(r"^\s*where\b|\bwhere (did|does|do|is|was|were|will|would|has|had|are)\b|\bfrom where\b"), "place"),
    (
        re.compile(
            r"^\s*why\b|\bwhy (did|does|do|is|was|were|will|would|has|had|are)\b|\bfor what reason\b|"
            r"\bwhat (was|is|were|are) (the |their |his |her |its )?(main )?(reason|cause|explanation)\b|"
            r"\bwhat (caused|prompted|led to|triggered|sparked|explains)\b"
        ),
        "reason",
    ),
]
_QUOTE_Q = re.compile(
    r"\b(?:what|how)\s+(?:did|does|do|has|have|had|is|was|were|are|will|would)\s+(?P<who>.+?)\s+"
    r"(?:say|said|tell|told|think|thought|claim|argue|warn|announce|state|comment|describe|respond|react|"
    r"reply|explain|add|predict|mean|feel|admit|suggest|call|insist|believe|promise|pledge|urge|"
    r"complain|concede|joke|remark|vow|characteri[sz]e|sum up|view|see|label|hail|criticise|criticize|"
    r"accuse|blame|defend|justify|recall|acknowledge|confirm|deny|expect|hope|fear|want|say\b)",
    re.I,
)
_QUOTE_Q2 = re.compile(r"\b(?i:according to) (?P<who>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*)", re.U)
_QUOTE_Q3 = re.compile(
    r"\bwhat (?:was|is|were|are) (?P<who>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+)*)['’]s? "
    r"(?:\w+ )?(?:view|reaction|response|verdict|message|explanation|comment|comments|assessment|warning|"
    r"argument|claim|complaint|criticism|opinion|advice|prediction|excuse|defence|defense|answer|description)\b",
    re.U,
)
_NAME_OF = re.compile(
    r"\bwhat (?:is|was|are|were) the (?:first |full |sur)?names? of (?:the |a |an |his |her |their |its )?"
    r"(?P<nouns>[\w-]+(?: [\w-]+){0,2})"
)
_WHO = re.compile(r"^\s*(who|whom|whose)\b|\b(by|to|from|with|for|of) whom\b|\bwho (is|was|were|are|did|has|had)\b")
_WH_DET = re.compile(
    r"\b(?:which|what)\s+(?!(?:did|does|do|is|was|were|are|has|had|have|will|would|can|could|should|might)\b)"
    r"(?P<nouns>[\w-]+(?:\s+[\w-]+){0,2})"
)
# Verbs that frame a question rather than carry its meaning.
_LIGHT_VERBS = frozenset(
    (
        "be have do say tell get make take give go come become happen know call ask think mean need want use "
        "include accord"
    ).split()
)
_PEOPLE_WORDS = frozenset(["people", "person", "man", "woman", "men", "women", "child", "children"])


@dataclass(frozen=True)
class QuestionFrame:
    """What the question asks, as the answering stages need it."""

    text: str
    slot: Slot
    entities: tuple[str, ...] = ()  # names and numbers the question gives: the evidence must mention them
    predicates: tuple[str, ...] = ()  # content verb lemmas ("buy", "replace"): what ties a filler to the question
    count_noun: str | None = None  # "how many X": X's lemma
    asked_noun: str | None = None  # "which player": "player" (a filler next to it in the text is a good sign)
    speaker: str | None = None  # "what did X say": X
    subject: str | None = None  # the name the question is about: its grammatical subject ("How much did *Nike* pay?")
    people: tuple[str, ...] = ()  # the persons the question names (spaCy's PERSON entities)
    # the folded words of the question: a filler is new when it is not among them
    words: frozenset[str] = field(default_factory=frozenset)

    @property
    def typed(self) -> bool:
        return self.slot in TYPED_SLOTS


_MONEY_NOUN_SET = frozenset(_MONEY_NOUNS.split("|"))
_QUANTITY_NOUNS = frozenset("sentence term time distance speed height weight length age margin size capacity".split())


def _noun_slot(noun: str) -> Slot | None:
    if noun in _MONEY_NOUN_SET or noun in ("amount", "price"):
        return "money"
    if noun in _QUANTITY_NOUNS:
        return "quantity"
    return _NOUN_SLOTS.get(noun)


# A noun no list above has ("which skater", "which magistrate", "which journal") takes the slot of the listed
# nouns nearest to it in MiniLM's space, when they agree: measured leave-one-out on the lists themselves, the
# 5 nearest agree with the list 85% of the time, and the thresholds keep only confident calls ("injury" and
# "court" fall below them and stay untyped). Why not a longer list: every blind batch of questions brings nouns
# nobody listed.
_NEAREST_SIMILARITY = 0.58
_NEAREST_AGREEMENT = 0.8


def _embed_nouns(nouns: list[str]) -> np.ndarray:
    # imported here: analysing a question must not load the model until a noun no list has needs it
    from assistant.embedding import get_embedder

    return get_embedder().embed([f"the {noun}" for noun in nouns])


@functools.cache
def _noun_space() -> tuple[list[str], np.ndarray]:
    nouns = sorted(_NOUN_SLOTS)
    return nouns, _embed_nouns(nouns)


@functools.lru_cache(maxsize=4096)  # nouns come from questions: bounded, like the parse cache
def nearest_noun_slot(noun: str) -> Slot | None:
    """The slot of the listed nouns nearest to `noun` (5 of them, similarity-weighted), or None if unsure."""
    nouns, vectors = _noun_space()
    similarity = vectors @ _embed_nouns([noun])[0]
    nearest = np.argsort(-similarity)[:5]
    if similarity[nearest[0]] < _NEAREST_SIMILARITY:
        return None
    votes: dict[Slot, float] = {}
    for i in nearest:
        slot = _NOUN_SLOTS[nouns[i]]
        votes[slot] = votes.get(slot, 0.0) + float(similarity[i])
    best = max(votes, key=lambda slot: votes[slot])
    return best if votes[best] / sum(votes.values()) >= _NEAREST_AGREEMENT else None


def _plural_noun_slot(noun: str) -> Slot | None:
    """`_noun_slot` of a noun as written, or of its singular by dropping a final "s" ("firms", "men")."""
    return _noun_slot(noun) or _noun_slot(noun.rstrip("s"))


def _asked_noun(question: str) -> tuple[Slot | None, str | None]:
    """The slot and noun of "which player", "what company", "in which city", "the name of the man": the noun
    the wh-word governs ("what prison sentence" asks for a sentence, not a prison)."""
    doc = parse([question])[0]
    for tok in doc:
        if tok.lower_ in ("which", "what", "whose") and tok.dep_ == "det" and tok.head.pos_ in ("NOUN", "PROPN"):
            head = tok.head
            if head.lemma_.lower() in ("name", "surname") or head.lower_ in ("names", "surnames"):
                owner = next((c for c in head.children if c.dep_ == "prep" and c.lower_ == "of"), None)
                objects = [c for c in owner.children if c.dep_ == "pobj"] if owner is not None else []
                if objects:
                    head = objects[0]
                else:
                    return "person" if head.lemma_.lower() == "surname" else "name", head.lemma_.lower()
            noun = head.lemma_.lower()
            return _noun_slot(noun) or _noun_slot(head.lower_) or nearest_noun_slot(noun), noun
    # spaCy found no governed noun (short or misparsed questions): the first known noun among the next words.
    common = {tok.lower_: tok.lemma_.lower() for tok in doc if tok.pos_ == "NOUN"}
    for match in _WH_DET.finditer(question.lower()):
        for noun in match.group("nouns").split():
            for form in (noun, noun.rstrip("s"), re.sub(r"ies$", "y", noun)):
                if _noun_slot(form):
                    return _noun_slot(form), form
            if noun in common and (slot := nearest_noun_slot(common[noun])):
                return slot, common[noun]
    return None, None


def _count_noun(question: str) -> str | None:
    doc = parse([question])[0]
    tokens = list(doc)
    for i, tok in enumerate(tokens[:-1]):
        if tok.lower_ == "how" and tokens[i + 1].lower_ == "many":
            for nxt in tokens[i + 2 : i + 6]:
                if nxt.pos_ in ("NOUN", "PROPN") or (nxt.pos_ == "ADJ" and nxt.lower_ in _PEOPLE_WORDS):
                    # "how many Labour MPs", "how many T-Mobile customers": the counted noun is the head the
                    # compound's words hang on
                    head = nxt
                    while head.dep_ in ("compound", "amod", "punct", "nmod") and head.head.i > head.i:
                        head = head.head
                    return head.lemma_.lower()
            return None
    return None


_WH_WORDS = frozenset({"who", "what", "which", "whom", "whose"})
# "What is Duran Duran's latest album called?", "What will the merged union be called?": asks for a name; the
# passive "called" is not a speaker calling something (which _QUOTE_Q would read it as).
_NAMING = re.compile(r"^\s*(?:what|which)\b.*\b(?:is|was|are|were|be|been)\b.*\bcalled\W*$")


def _subject(doc: object, entities: list[str]) -> str | None:
    """The entity in the question's subject (or the subject's possessor: "Coltrane's saxophone")."""
    for tok in doc:  # type: ignore[attr-defined]
        subtree = list(tok.subtree)
        if tok.dep_ in ("nsubj", "nsubjpass") and not any(t.lower_ in _WH_WORDS for t in subtree):
            # "Which Conservative candidate condemned X?": the subject is the asked one, not a name it holds
            span = " ".join(t.text for t in subtree)
            for entity in entities:
                if entity in span:
                    return entity
    return None


def _speaker(question: str, entities: list[str]) -> str | None:
    for pattern in (_QUOTE_Q, _QUOTE_Q2, _QUOTE_Q3):
        match = pattern.search(question)
        if match and any(w[:1].isupper() for w in match.group("who").split()):
            who = match.group("who")
            named = [e for e in entities if e in who]
            if len(named) > 1:
                # "Telegraph executive Murdoch MacLennan", "Mick Deats, head of the NHTCU": the speaker is the
                # name the phrase is built on, not the firm describing him
                root = parse([who])[0][:].root.text
                named = [e for e in named if root in e.split()] or named
            return named[0] if named else who
    return None


def analyze(question: str) -> QuestionFrame:
    """The frame of a single question (see `decompose` for multi-part questions)."""
    text = " ".join(question.split())
    lower = text.lower()
    entities = find_entities(text)
    name_of = _NAME_OF.search(lower)
    naming = _NAMING.search(lower)
    speaker = None if name_of or naming else _speaker(text, entities)
    slot: Slot | None = None
    if name_of:  # "what is the name of the mayor" asks for a person, "... of the firm" for an organisation
        nouns = [{"men": "man", "women": "woman", "people": "person"}.get(w, w) for w in name_of.group("nouns").split()]
        slot = next((found for w in nouns if (found := _plural_noun_slot(w))), "name")
    if naming:
        slot = "name"
    count_noun = None
    if speaker and not re.search(r"\b(how many|how much|how long|when|where|who|whom|which)\b", lower):
        slot = "quote"
    if slot is None:
        for pattern, rule_slot in _RULES:
            if pattern.search(lower):
                slot = rule_slot
                break
    if slot == "count":
        count_noun = _count_noun(text)
    asked_noun = None
    if re.search(r"\b(which|what|whose)\b", lower):
        noun_slot, asked_noun = _asked_noun(text)
        slot = slot or noun_slot
    if naming and asked_noun is None:  # "what is their album called": the album is the asked noun
        asked_noun = next(
            (t.lemma_.lower() for t in parse([text])[0] if t.dep_ in ("nsubj", "nsubjpass") and t.pos_ == "NOUN"), None
        )
    if name_of and asked_noun is None:  # "the name of the Seattle mayor": the mayor is the asked noun
        asked_noun = next((w for w in nouns if _plural_noun_slot(w)), None)
    if slot is None and _WHO.search(lower):
        slot = "agent"
    if slot is None and speaker:
        slot = "quote"
    slot = slot or "fact"

    doc = parse([text])[0]
    subject = speaker or _subject(doc, entities)
    entity_words = {fold(w) for e in entities for w in e.split()}
    predicates = [
        tok.lemma_.lower()
        for tok in doc
        if tok.pos_ == "VERB"
        and not tok.is_stop
        and fold(tok.text) not in entity_words
        and tok.lemma_.lower() not in FRAME_WORDS | _LIGHT_VERBS
    ]
    return QuestionFrame(
        text=text,
        slot=slot,
        entities=tuple(entities),
        predicates=tuple(dict.fromkeys(predicates)),
        count_noun=count_noun,
        asked_noun=asked_noun,
        speaker=speaker,
        subject=subject,
        people=tuple(e.text for e in doc.ents if e.label_ == "PERSON"),
        words=frozenset(fold(t.text) for t in doc if not t.is_punct),
    )


_SPLIT = re.compile(
    r"(?:,|;)?\s+and\s+(?:then\s+)?(?=(?:(?:on|in|at|by|to|from|for|with|after|under)\s+)?"
    r"(?:what|who|whom|whose|which|when|where|why|how)\b)",
    re.I,
)


@dataclass(frozen=True)
class Part:
    """One part of a multi-part question; `context` (names borrowed from the first part) helps retrieval only."""

    question: str
    context: str = ""

    @property
    def query(self) -> str:
        return f"{self.question} {self.context}".strip()


def decompose(question: str) -> list[Part]:
    """Split "What did A do, and how many B?" into its parts (one part when it is a single question), and a
    comparison ("Which paid more: A or B?") into one part per option.

    A later part that only refers back ("and what happened to it later?") is retrieved with the first
    part's names, but answered on its own terms: the second article need not repeat them.
    """
    text = " ".join(question.split()).strip()
    pieces = [p.strip(" ,;?") for p in _SPLIT.split(text) if p.strip(" ,;?")]
    if len(pieces) < 2:
        return [Part(q) for q in compared(text) or [text]]
    first_entities = find_entities(pieces[0])
    parts = [Part(q) for q in compared(pieces[0] + "?") or [pieces[0] + "?"]]
    for piece in pieces[1:]:
        context = ", ".join(first_entities) if not find_entities(piece) else ""
        parts.append(Part(piece[0].upper() + piece[1:] + "?", context))
    return parts


_COMPARISON = re.compile(
    r"^\s*(?P<stem>(?:which|who|what)\b[^:?]*?)\s*[:,]\s*(?P<a>[^?]+?),?\s+or\s+(?P<b>[^?]+?)\s*\??\s*$", re.I
)
_HOW = {"more": "much", "less": "little", "fewer": "many", "better": "well", "worse": "badly"}
_DO = {"VBD": "did", "VBZ": "does", "VBP": "do"}
_NOT_IN_PHRASE = frozenset({"ADP", "PUNCT", "DET", "PRON", "AUX", "SCONJ", "CCONJ", "ADV", "PART", "NUM"})


def compared(question: str) -> list[str] | None:
    """ "Which paid more to the FCC: A or B?" -> ["How much did A pay to the FCC?", "How much did B pay ...?"].

    Why: a comparison needs one fact from each option's article; asked whole, it gets one topical sentence
    (0 of 8 blind comparison questions were answered). Each option becomes a plain question with the slot the
    comparative asks for (more -> how much, more <nouns> -> how many <nouns>, the bigger <noun> -> what <noun>,
    faster -> how fast), answered and cited on its own; which one is bigger is left to the reader of the
    figures (no arithmetic over extracted spans). None when the question is not such a comparison.
    """
    match = _COMPARISON.match(question)
    if not match:
        return None
    doc = parse([match.group("stem")])[0]
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    comparative = next((t for t in doc if t.tag_ in ("JJR", "RBR") or t.lower_ in ("more", "fewer", "less")), None)
    if root is None or comparative is None or comparative.i <= root.i or root.pos_ not in ("VERB", "AUX"):
        return None
    # the compared noun phrase after the comparative: "more [planned job cuts]"
    phrase = list(itertools.takewhile(lambda t: t.pos_ not in _NOT_IN_PHRASE, doc[comparative.i + 1 :]))
    words = "".join(t.text_with_ws for t in phrase).strip()
    if not phrase:
        how = "How " + _HOW.get(comparative.lower_, comparative.lemma_.lower())
    elif comparative.lower_ in ("more", "fewer", "less"):
        how = ("How many " if phrase[-1].tag_ in ("NNS", "NNPS") else "How much ") + words
    else:
        how = "What " + words
    dropped = {comparative.i} | {t.i for t in phrase}
    if doc[comparative.i - 1].lower_ == "the":  # comparative.i > root.i >= 0
        dropped.add(comparative.i - 1)
    rest = "".join(t.text_with_ws for t in doc[root.i + 1 :] if t.i not in dropped).strip()
    aux = " ".join(t.text for t in doc[: root.i] if t.dep_ in ("aux", "auxpass"))
    questions = []
    for option in (match.group("a").strip(" ,"), match.group("b").strip(" ,")):
        if aux:
            asked = f"{how} {aux} {option} {root.text} {rest}"
        elif root.lemma_ == "be":
            asked = f"{how} {root.text} {option} {rest}"
        elif root.tag_ in _DO:
            asked = f"{how} {_DO[root.tag_]} {option} {root.lemma_} {rest}"
        else:
            return None
        questions.append(" ".join(asked.split()).rstrip(" ,") + "?")
    return questions


@dataclass(frozen=True)
class Bridge:
    """A question that names its subject through another fact: "Who runs *the firm that bought X*?"

    `inner` ("Which firm bought X?") is answered first; its answer fills `outer` ("Who runs {}?").
    """

    inner: str
    outer: str  # with one "{}" for the inner answer


_WH_AND_AUX = frozenset(
    "who whom whose what which when where why how is was were are did does do has had have the a an of in on at "
    "to for by".split()
)
_RELATIVIZERS = frozenset({"that", "which", "who", "whom"})


def _bridge_slot(noun: str) -> Slot | None:
    slot = _plural_noun_slot(noun)
    if slot is None and noun.endswith(("maker", "company", "firm", "group")):
        slot = "org"
    return slot


_BRIDGE = re.compile(
    r"\bthe (?P<mods>(?:[\w'’-]+ ){0,2}?)(?P<noun>[\w-]+) (?:that|which|who|whom) (?P<clause>[^,?;]+)", re.I
)


def bridge(question: str) -> Bridge | None:
    """The bridge in a question, if it has one whose outer question still asks something of its own.

    "the <noun> that/who <clause>" on a person, organisation, place or named thing. The clause runs to the
    next comma or the question's end, or, in a "What did <subject> <verb>" question, to the main verb (the
    first base-form verb after the relative clause's own verb).
    """
    doc = parse([question])[0]
    for match in _BRIDGE.finditer(question):
        noun = match.group("noun")
        if _bridge_slot(noun.lower()) not in ("person", "org", "place", "name"):
            continue
        end = match.end("clause")
        clause_tokens = [t for t in doc if match.start("clause") <= t.idx < end]
        main_verb = next(
            (t for t in clause_tokens[1:] if t.tag_ == "VB" and doc[t.i - 1].tag_ not in ("TO", "MD")), None
        )
        if main_verb is not None and re.match(
            r"^\s*(?:\w+\s+){1,3}(did|does|do|will|would|can|could)\b", question, re.I
        ):
            end = main_verb.idx
        clause = question[match.start("clause") : end].strip()
        outer = (question[: match.start()] + "{} " + question[end:].lstrip()).replace("{} ?", "{}?").strip()
        words_left = re.findall(r"[\w'’-]+", outer.replace("{}", " "))
        if not [w for w in words_left if w.lower() not in _WH_AND_AUX]:
            continue  # "Who was the player who scored?" is one question, not two
        inner = f"Which {match.group('mods')}{noun} {clause}?"
        return Bridge(inner, outer if outer.endswith("?") else outer + "?")
    return None

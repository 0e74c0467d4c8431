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
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

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


def _subject(doc: Any, entities: list[str]) -> str | None:
    """The entity in the question's subject (or the subject's possessor: "Coltrane's saxophone")."""
    for tok in doc:
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
    # "Which network airs X, and who is that network's chief?": the second part asked of the first part's answer
    # ("Who is {}'s chief?"), when there is one
    of_first: str = ""

    @property
    def query(self) -> str:
        return f"{self.question} {self.context}".strip()


def decompose(question: str) -> list[Part]:
    """Split "What did A do, and how many B?" into its parts (one part when it is a single question), and a
    comparison ("Which paid more: A or B?") into one part per option.

    A later part that only refers back ("and what happened to it later?") is retrieved with the first
    part's names, but answered on its own terms: the second article need not repeat them. A later part that is
    a bare clause ("What was the score when A won, and when B lost?") is asked with the first part's stem;
    one that re-asks a comparison already split ("..., and what did each earn?") adds nothing and is dropped.
    """
    text = " ".join(question.split()).strip()
    pieces = [p.strip(" ,;?") for p in _SPLIT.split(text) if p.strip(" ,;?")]
    if len(pieces) < 2:
        return [Part(q) for q in compared(text) or [text]]
    first_entities = find_entities(pieces[0])
    options = compared(pieces[0] + "?")
    parts = [Part(q) for q in options or [pieces[0] + "?"]]
    for piece in pieces[1:]:
        if options and _RE_ASKS_EACH.search(piece):
            continue
        piece = _with_stem(piece, pieces[0])
        context = ", ".join(first_entities) if not find_entities(piece) else ""
        asked = piece[0].upper() + piece[1:] + "?"
        parts.append(Part(asked, context, "" if options else _points_to_first(asked, pieces[0])))
    return parts


def _points_to_first(piece: str, first: str) -> str:
    """ "Who is that network's chief executive?" after "Which US network airs X" -> "Who is {}'s chief executive?":
    the part points back ("that"/"this" + the noun) to what the first part asks for ("which network", or "who"
    for a person). "" when it does not."""
    first_doc = parse([first])[0]
    asked: set[str] = set()
    if first_doc[0].lower_ in ("which", "what"):  # the words after it, not its parse head: "Which US network airs"
        asked = {t.lemma_.lower() for t in first_doc[1:4]}  # tags "airs" a noun and "network" its modifier
    elif first_doc[0].lower_ in ("who", "whom", "whose"):
        asked = {"person"}
    for noun, outer in _pointers(piece):
        lemma = noun.lemma_.lower()
        if lemma in asked or ("person" in asked and _bridge_slot(lemma) == "person"):
            return outer if _asks_more(outer) else ""
    return ""


def _pointers(question: str) -> Iterator[tuple[Any, str]]:
    """Each "that/this <noun>" the question points back with: the noun, and the question with "{}" in its place
    ("Who runs that firm?" -> firm, "Who runs {}?")."""
    for pointer in parse([question])[0]:
        noun = pointer.head
        if pointer.dep_ == "det" and pointer.lower_ in ("that", "this") and noun.pos_ == "NOUN":
            yield noun, question[: pointer.idx] + "{}" + question[noun.idx + len(noun.text) :]


_RE_ASKS_EACH = re.compile(r"\b(each|both|either|the two)\b", re.I)
_CLAUSE_START = re.compile(
    r"^(?P<word>when|where|after|before|while)\s+(?!(?:did|does|do|was|were|is|are|will|would|has|had|have|can|could)\b)",
    re.I,
)


def _with_stem(piece: str, first: str) -> str:
    """ "when he lost to Gonzalez" after "What were the scores when Ginepri beat Young" -> "What were the scores
    when he lost to Gonzalez": a clause, not a question (no auxiliary after its wh-word), asks what the first
    part asked. Left as it is when the first part has no such clause to stand beside."""
    clause = _CLAUSE_START.match(piece)
    if clause is None:
        return piece
    at = re.search(rf"\s{clause.group('word')}\s", first, re.I)
    return f"{first[: at.start()]} {piece}" if at else piece


_COMPARISON = re.compile(
    r"^\s*(?P<lead>[^:?,]+,\s+)?(?P<stem>(?:which|who|what)\b[^:?]*?)\s*[:,]\s*(?P<a>[^?]+?),?\s+or\s+(?P<b>[^?]+?)\s*\??\s*$",
    re.I,
)
_HOW = {
    "more": "much",
    "less": "little",
    "fewer": "many",
    "better": "well",
    "worse": "badly",
    "further": "far",
    "farther": "far",
}
# "Which came first: A or B?" asks when each happened
_ORDER_WORDS = frozenset({"first", "earlier", "sooner", "later", "last"})
_HAPPEN = frozenset({"come", "happen", "occur"})
_DO = {"VBD": "did", "VBZ": "does", "VBP": "do"}
_NOT_IN_PHRASE = frozenset({"ADP", "PUNCT", "DET", "PRON", "AUX", "SCONJ", "CCONJ", "ADV", "PART", "NUM"})
_POSSESSIVE_ONLY = re.compile(r"^[\w .&-]+['’]s?$")


def _positive(comparative: str) -> str:
    """ "higher" -> "high", "bigger" -> "big", "earlier" -> "early": spaCy lemmatises adjectives (JJR) but
    not adverbs (RBR: "ranked higher")."""
    if comparative.endswith("ier"):
        return comparative[:-3] + "y"
    if len(comparative) > 4 and comparative[-3] == comparative[-4] and comparative[-3] not in "aeiouls":
        return comparative[:-3]
    return comparative[:-2] if comparative.endswith("er") else comparative


def compared(question: str) -> list[str] | None:
    """ "Which paid more to the FCC: A or B?" -> ["How much did A pay to the FCC?", "How much did B pay ...?"].

    Why: a comparison needs one fact from each option's article; asked whole, it gets one topical sentence
    (0 of 8 blind comparison questions were answered). Each option becomes a plain question with the slot the
    comparative asks for (more -> how much, more <nouns> -> how many <nouns>, the bigger <noun> -> what <noun>,
    faster -> how fast, first/earlier -> when), answered and cited on its own; which one is bigger is left to the
    reader of the figures (no arithmetic over extracted spans). An option that is only a possessive ("Israel's")
    or "the one ..." takes the noun the question asks about ("Which economy grew faster"). None when the question
    is not such a comparison.
    """
    match = _COMPARISON.match(question)
    if not match:
        return None
    doc = parse([match.group("stem")])[0]
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    comparative = next(
        (t for t in doc if t.tag_ in ("JJR", "RBR") or t.lower_ in ("more", "fewer", "less", "further", "farther")),
        None,
    )
    if comparative is None and root is not None:  # "Which took effect first"
        comparative = next((t for t in root.children if t.dep_ == "advmod" and t.lower_ in _ORDER_WORDS), None)
    if root is None or comparative is None or comparative.i <= root.i or root.pos_ not in ("VERB", "AUX"):
        return None
    # the compared noun phrase after the comparative: "more [planned job cuts]"
    phrase = list(itertools.takewhile(lambda t: t.pos_ not in _NOT_IN_PHRASE, doc[comparative.i + 1 :]))
    words = "".join(t.text_with_ws for t in phrase).strip()
    if comparative.lower_ in _ORDER_WORDS:
        how, phrase = "When", []
    elif not phrase:
        lemma = comparative.lemma_.lower()
        how = "How " + _HOW.get(comparative.lower_, _positive(lemma) if lemma == comparative.lower_ else lemma)
    elif comparative.lower_ in ("more", "fewer", "less"):
        how = ("How many " if phrase[-1].tag_ in ("NNS", "NNPS") else "How much ") + words
    else:
        how = "What " + words
    dropped = {comparative.i} | {t.i for t in phrase}
    if doc[comparative.i - 1].lower_ == "the":  # comparative.i > root.i >= 0
        dropped.add(comparative.i - 1)
    rest = "".join(t.text_with_ws for t in doc[root.i + 1 :] if t.i not in dropped).strip()
    aux = " ".join(t.text for t in doc[: root.i] if t.dep_ in ("aux", "auxpass"))
    # "Which economy grew faster": the asked noun, for options that do not name it themselves
    asked = "".join(t.text_with_ws for t in doc[1 : root.i] if t.dep_ not in ("aux", "auxpass")).strip()
    asked = asked if doc[0].dep_ == "det" and doc[0].lower_ in ("which", "what") else ""
    questions = []
    for option in (match.group("a").strip(" ,"), match.group("b").strip(" ,")):
        if asked and _POSSESSIVE_ONLY.match(option):
            option = f"{option} {asked}"
        elif asked and re.match(r"the ones?\b", option, re.I):
            option = f"the {asked}{option[len('the one') :].removeprefix('s')}"
        if aux:
            asked_question = f"{how} {aux} {option} {root.text} {rest}"
        elif how == "When" and root.lemma_ in _HAPPEN:  # "When was A?", not "When did A come?"
            asked_question = f"When was {option} {rest}"
        elif root.lemma_ == "be":
            asked_question = f"{how} {root.text} {option} {rest}"
        elif root.tag_ in _DO:
            asked_question = f"{how} {_DO[root.tag_]} {option} {root.lemma_} {rest}"
        else:
            return None
        if match.group("lead"):  # "At the end of 2004, which had the lower rate: ..." keeps its time frame
            asked_question = match.group("lead") + asked_question[0].lower() + asked_question[1:]
        questions.append(" ".join(asked_question.split()).rstrip(" ,") + "?")
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
    "to for by name names called".split()
)
_BRIDGE_SLOTS = frozenset({"person", "org", "place", "name"})
_RELATIVE_PRONOUNS = frozenset({"that", "which", "who", "whom", "whose"})
_MAY_FOLLOW_A_CLAUSE = frozenset({"PUNCT", "VERB", "AUX", "ADP", "ADV"})


def _bridge_slot(noun: str) -> Slot | None:
    slot = _plural_noun_slot(noun)
    if slot is None and noun.endswith(("maker", "company", "firm", "group")):
        slot = "org"
    return slot


def _describes_unnamed(head: Any) -> bool:
    """A singular common noun of a person, organisation, place or named thing that no name in its phrase already
    gives: "the Fiat boss who ..." (a bridge), not "the group WPP", "the UK Film Council's network", "the three men"."""
    if head.tag_ != "NN":
        return False
    if _bridge_slot(head.lemma_.lower()) not in _BRIDGE_SLOTS:
        return False
    if any(t.dep_ == "poss" or t.tag_ == "POS" for t in head.lefts):
        return False
    following = head.doc[head.i + 1] if head.i + 1 < len(head.doc) else None
    return head.dep_ != "appos" and not (following is not None and following.pos_ == "PROPN")


def _asks_more(outer: str) -> bool:
    """ "Who is {}?" asks nothing of its own: "Who was the player who scored?" is one question, not two."""
    return any(w.lower() not in _WH_AND_AUX for w in re.findall(r"[\w'’-]+", outer.replace("{}", " ")))


def bridge(question: str) -> Bridge | None:
    """The bridge in a question, if it has one whose outer question still asks something of its own.

    Two forms, on a person, organisation, place or named thing:
    - a noun phrase "the <noun>" with a relative clause ("the firm that bought X", "the band whose singer ...")
      or a participle ("the player named captain");
    - a statement that introduces it and a question that points back: "Yukos sued a state oil firm. Who runs
      that firm?"
    Why the parse and not a pattern: the clause ends where its subtree ends, so "How many awards did the film
    that won X receive?" asks "Which film won X?", not "Which film won X receive?" (a pattern ran the clause
    to the end, or found no bridge in "whose" and participle forms).
    """
    text = " ".join(question.split())
    return _pointed_back(text) or _relative_clause(text)


def _relative_clause(text: str) -> Bridge | None:
    doc = parse([text])[0]
    root = next(t for t in doc if t.dep_ == "ROOT")
    for clause in doc:
        head = clause.head
        participle = clause.dep_ == "acl" and clause.tag_ == "VBN"
        if (clause.dep_ != "relcl" and not participle) or clause.i < head.i:
            continue
        start = min(t.i for t in clause.subtree)
        if start == 0:
            continue
        if doc[start].lower_ in _RELATIVE_PRONOUNS and doc[start - 1].pos_ == "NOUN":
            # "the arm of the carmaker that paid": the noun next to "that", whatever the parse attached it to
            head = doc[start - 1]
        if not _describes_unnamed(head):
            continue
        first = head.left_edge
        if first.lower_ != "the" or (first.i > 0 and doc[first.i - 1].text == ","):
            continue  # "Solidere, the firm founded by Hariri": the firm is already named
        opener = doc[start]
        if doc[start - 1].text == ",":
            continue  # "the Jesse Owens Awards, which went to Gatlin": the clause adds to a name, it does not pick one
        if participle and opener.i != clause.i:
            continue  # "the Booker Prize to be presented in London": not "the prize presented by X"
        if participle and clause.right_edge.i == clause.i:
            continue  # a bare participle ("the original film based") picks nothing out
        if not participle and opener.lower_ not in _RELATIVE_PRONOUNS:
            # "where", "in which": a setting (the game where X scored), not the thing's own deed; and "the man
            # Toshack hired" parses as "the watchdog Icstis barred" does (a name, not a clause's subject)
            continue
        last = clause.right_edge
        if root.i > clause.i and any(t.dep_ == "aux" and t.i < head.i for t in root.children):
            last = doc[root.i - 1]  # "What did [the firm that bought Yukos] say": the clause ends at the main verb
        after = doc[last.i + 1] if last.i + 1 < len(doc) else None
        if after is not None and after.pos_ not in _MAY_FOLLOW_A_CLAUSE and after.dep_ != "ROOT":
            continue  # the parse cut the clause short ("the singer chosen | to perform ..."): no clean bridge
        noun_phrase = "".join(t.text_with_ws for t in doc[first.i + 1 : start]).strip()
        rest = "".join(t.text_with_ws for t in doc[start + 1 : last.i + 1]).strip()
        if opener.lower_ == "whose":  # "the band whose singer said X" -> "Which band's singer said X?"
            inner = f"Which {noun_phrase}'s {rest}"
        elif opener.lower_ in _RELATIVE_PRONOUNS:
            inner = f"Which {noun_phrase} {rest}"
        else:  # "the singer chosen by ..."
            inner = f"Which {noun_phrase} was {opener.text_with_ws}{rest}"
        outer = text[: first.idx] + "{}" + text[last.idx + len(last.text) :]
        outer = re.sub(r"\{\}\s*([?,.;])", r"{}\1", outer.strip())
        if _asks_more(outer):
            return Bridge(inner.strip(" ,") + "?", outer if outer.endswith("?") else outer + "?")
    return None


_SENTENCE_END = re.compile(r"(?<=[.!;])\s+(?=[A-Z\"'‘“])")


def _pointed_back(text: str) -> Bridge | None:
    """ "Yukos sued a state oil firm. Who runs that firm?" -> ("Yukos sued which state oil firm?", "Who runs {}?").

    The question points back with "that/this <noun>"; the statement before introduces it with a determiner
    ("a", "an", "one", "the") that becomes "which": the same noun, or else the statement's only noun of the
    same kind ("Eriksson picked a United defender. ... that player": both people).
    """
    sentences = _SENTENCE_END.split(text)
    if len(sentences) < 2:
        return None
    for noun, outer in _pointers(sentences[-1]):
        slot = _bridge_slot(noun.lemma_.lower())
        if slot not in _BRIDGE_SLOTS:
            continue
        for statement in reversed(sentences[:-1]):
            said = parse([statement])[0]
            introduced = [
                t
                for t in said
                if t.pos_ == "NOUN"
                and t.left_edge.lower_ in ("a", "an", "one", "the")
                and t.left_edge.dep_ in ("det", "nummod")
            ]
            same = [t for t in introduced if t.lemma_.lower() == noun.lemma_.lower()]
            akin = [t for t in introduced if _bridge_slot(t.lemma_.lower()) == slot]
            named = same[0] if same else akin[0] if len(akin) == 1 else None
            if named is None:
                continue
            determiner = named.left_edge
            inner = statement[: determiner.idx] + "which" + statement[determiner.idx + len(determiner.text) :]
            inner = inner.strip().rstrip(".!;").strip()
            if not _asks_more(outer):
                return None
            return Bridge(inner[0].upper() + inner[1:] + "?", outer)
    return None

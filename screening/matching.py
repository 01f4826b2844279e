"""The embedded name matcher: normalisation, transliteration, fuzzy token scoring, evidence, candidate index.

Pure functions and one in-memory index, no database: the services load list entities into a `CandidateIndex`
and the evaluation command scores CSV pairs with `score_pair`. Everything a query is compared on is derived
from the name by `name_tokens`, cached, so repeated list names cost one normalisation.

The score is an alignment of tokens: each token of the shorter name is paired with its most similar token of
the other name (edit similarity on the romanised form, or on its consonant skeleton for scripts that drop
vowels, initials allowed), weighted by token length; unmatched tokens of the longer name cost a little. Date of
birth and nationality are evidence: a clear disagreement lowers the score, an agreement raises it slightly.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from normality import ascii_text
from rapidfuzz.distance import Levenshtein

DEFAULT_THRESHOLD = 0.75
UNMATCHED_PENALTY = 0.45
SCHEMA_MISMATCH_PENALTY = 0.1

# Honorifics and titles: they say nothing about who a person is.
_HONORIFICS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "prof",
        "sir",
        "lord",
        "lady",
        "sheikh",
        "shaikh",
        "shaykh",
        "sayyid",
        "sayed",
        "mullah",
        "mulla",
        "maulana",
        "maulvi",
        "mawlawi",
        "haji",
        "hajji",
        "alhaj",
        "general",
        "gen",
        "colonel",
        "col",
        "major",
        "maj",
        "captain",
        "capt",
        "lieutenant",
        "lt",
        "admiral",
        "brigadier",
        "commander",
        "president",
        "minister",
        "judge",
        "rev",
        "reverend",
        "father",
        "imam",
        "emir",
        "amir",
        "prince",
        "princess",
        "king",
        "queen",
        "senator",
        "deputy",
    ]
)
# Company legal forms (normalised spelling): a registry's suffix is not part of what distinguishes a company.
_LEGAL_FORMS = frozenset(
    [
        "ltd",
        "limited",
        "llc",
        "llp",
        "lp",
        "plc",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "cie",
        "sa",
        "sas",
        "sarl",
        "sarlu",
        "srl",
        "spa",
        "ag",
        "gmbh",
        "kg",
        "ohg",
        "bv",
        "nv",
        "oy",
        "ab",
        "as",
        "asa",
        "aps",
        "sro",
        "zao",
        "oao",
        "ooo",
        "pao",
        "pjsc",
        "jsc",
        "ojsc",
        "cjsc",
        "ao",
        "tov",
        "pt",
        "tbk",
        "bhd",
        "sdn",
        "pte",
        "pty",
        "fze",
        "fzco",
        "fzc",
        "fzllc",
        "jv",
        "holding",
        "holdings",
        "group",
        "trading",
        "establishment",
        "est",
        "kft",
        "zrt",
        "sp",
        "zoo",
    ]
)
# Particles joined to the next token in many romanisations ("al-Kashif", "Abd al Rahim", "bin Laden").
_PARTICLES = frozenset(
    [
        "al",
        "el",
        "ul",
        "ur",
        "ad",
        "ar",
        "as",
        "at",
        "az",
        "bin",
        "ibn",
        "bint",
        "ben",
        "abu",
        "abd",
        "de",
        "da",
        "di",
        "del",
        "der",
        "van",
        "von",
        "la",
        "le",
    ]
)
_VOWELS = re.compile(r"[aeiouy]")
_DOUBLES = re.compile(r"(.)\1+")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_YEAR = re.compile(r"(1[89]\d\d|20\d\d)")
_ORG_SCHEMAS = frozenset({"Company", "Organization", "LegalEntity", "Vessel", "Airplane", "entity", "Entity"})


@dataclass(frozen=True)
class NameForm:
    """A name as the matcher sees it: content tokens, their consonant skeletons and the joined form."""

    tokens: tuple[str, ...]
    skeletons: tuple[str, ...]
    joined: str

    @property
    def weight(self) -> float:
        return float(sum(_token_weight(t) for t in self.tokens)) or 1.0


def _token_weight(token: str) -> float:
    # Short tokens (initials, particles) carry less identity than long ones.
    return min(len(token), 8) / 8 + 0.25


_PHONETIC_RULES = (
    ("kh", "h"),
    ("gh", "g"),
    ("ph", "f"),
    ("th", "t"),
    ("dh", "d"),
    ("sh", "s"),
    ("ch", "s"),
    ("zh", "j"),
    ("ck", "k"),
    ("q", "k"),
    ("c", "k"),
    ("x", "ks"),
    ("z", "s"),
    ("v", "w"),
    ("ee", "i"),
    ("oo", "u"),
    ("ou", "u"),
    ("y", "i"),
    ("e", "i"),
    ("o", "u"),
)


# Pure functions of one token, called for every token pair the index proposes: the vocabulary of the lists is a
# few tens of thousands of tokens, so each is worked out once (this halves the time of a search).
@lru_cache(maxsize=200_000)
def _phonetic(token: str) -> str:
    """A rough sound key that forgives the usual romanisation choices (Yahya/Yehia, Qasim/Kasim, Saeed/Said)."""
    for old, new in _PHONETIC_RULES:
        token = token.replace(old, new)
    return _DOUBLES.sub(r"\1", token)


@lru_cache(maxsize=200_000)
def _skeleton(token: str) -> str:
    """Consonant skeleton: what survives romanisation of abjad scripts (Arabic, Hebrew) that omit vowels."""
    if len(token) <= 2:
        return token
    head, rest = token[0], token[1:]
    rest = _VOWELS.sub("", rest).replace("h", "").replace("w", "")
    return _DOUBLES.sub(r"\1", head + rest)


@lru_cache(maxsize=200_000)
def romanise(text: str) -> str:
    """Lower-case ASCII form of any script (ICU transliteration through normality), punctuation as spaces."""
    ascii_form = ascii_text(text) or ""
    return _NON_ALNUM.sub(" ", ascii_form.lower()).strip()


def _join_initials(tokens: list[str]) -> list[str]:
    """Dotted abbreviations arrive as letters ("S.A.R.L." -> s a r l): join runs of 3+ single letters."""
    out: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1:
            run.append(token)
            continue
        out.extend(["".join(run)] if len(run) >= 3 else run)
        run = []
        if token:
            out.append(token)
    return out


@lru_cache(maxsize=200_000)
def name_form(name: str, is_org: bool = False) -> NameForm:
    """Normalise a name: romanise, drop honorifics (and legal forms for organisations), join particles."""
    raw = _join_initials(romanise(name).split())
    tokens: list[str] = []
    pending = ""
    for token in raw:
        if token in _HONORIFICS and len(raw) > 1:
            continue
        if is_org and token in _LEGAL_FORMS and len(raw) > 1:
            continue
        if token in _PARTICLES:
            pending += token
            continue
        tokens.append(pending + token if pending else token)
        pending = ""
    if pending:
        tokens.append(pending)
    if not tokens:
        tokens = raw[:]
    # A name is a bag of tokens: sorting makes "BARANOV, Oleg" and "Oleg Baranov" identical forms.
    ordered = tuple(sorted(tokens))
    return NameForm(tokens=ordered, skeletons=tuple(_skeleton(t) for t in ordered), joined="".join(tokens))


@lru_cache(maxsize=200_000)
def _strip_particle(token: str) -> str:
    for particle in ("abd", "abu", "al", "el", "bin", "ibn", "ul", "ur"):
        if token.startswith(particle) and len(token) > len(particle) + 2:
            return token[len(particle) :]
    return token


def _token_similarity(a: str, b: str, skel_a: str, skel_b: str) -> float:
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:
        # An initial stands for any token with that first letter, but proves little.
        return 0.75 if a[0] == b[0] else 0.0
    best = Levenshtein.normalized_similarity(a, b)
    if min(len(a), len(b)) <= 3:
        # Short tokens (romanised CJK syllables, "ma", "li") collide by sound too easily to be forgiven.
        return best if best >= 0.66 else 0.0
    if best < 0.9:
        sa, sb = _strip_particle(a), _strip_particle(b)
        if (sa, sb) != (a, b):
            best = max(best, Levenshtein.normalized_similarity(sa, sb) * 0.97)
        if min(len(a), len(b)) >= 5 and min(len(skel_a), len(skel_b)) >= 3:
            best = max(best, Levenshtein.normalized_similarity(skel_a, skel_b) * 0.9)
        if best < 0.9:
            best = max(best, Levenshtein.normalized_similarity(_phonetic(a), _phonetic(b)) * 0.95)
    return best


def _align(short: NameForm, long: NameForm) -> tuple[float, list[tuple[str, str, float]]]:
    """Greedy best-first pairing of the shorter name's tokens with the longer's; returns weighted coverage."""
    candidates: list[tuple[float, int, int]] = []
    for i, (ta, sa) in enumerate(zip(short.tokens, short.skeletons, strict=True)):
        for j, (tb, sb) in enumerate(zip(long.tokens, long.skeletons, strict=True)):
            sim = _token_similarity(ta, tb, sa, sb)
            if sim >= 0.5:
                candidates.append((sim, i, j))
    candidates.sort(reverse=True)
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs: list[tuple[str, str, float]] = []
    matched = 0.0
    for sim, i, j in candidates:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        pairs.append((short.tokens[i], long.tokens[j], sim))
        # Sub-0.7 similarities are mostly different names that share letters ("olga" / "oleg").
        effective = sim if sim >= 0.7 else sim * 0.5
        matched += effective * _token_weight(short.tokens[i])
    coverage = matched / short.weight
    unmatched_long = sum(_token_weight(t) for j, t in enumerate(long.tokens) if j not in used_b)
    # Tokens of the longer name left unpaired weaken the match in proportion to their share of it: a listed
    # "HUA" inside a three-part query, or one shared first name, is not the same person.
    score = coverage * (1.0 - UNMATCHED_PENALTY * unmatched_long / long.weight)
    return max(score, 0.0), pairs


def name_similarity(query: NameForm, candidate: NameForm) -> tuple[float, list[tuple[str, str, float]]]:
    """Similarity of two normalised names in [0, 1] and the token pairs that produced it."""
    if not query.tokens or not candidate.tokens:
        return 0.0, []
    if query.tokens == candidate.tokens:
        return 1.0, [(t, t, 1.0) for t in query.tokens]
    if query.joined == candidate.joined or "".join(query.tokens) == "".join(candidate.tokens):
        return 0.98, [(query.joined, candidate.joined, 1.0)]
    short, long = (query, candidate) if len(query.tokens) <= len(candidate.tokens) else (candidate, query)
    score, pairs = _align(short, long)
    # Spacing differs between romanisations ("Abdul Rahman" / "Abdulrahman"): compare the joined forms too.
    joined = Levenshtein.normalized_similarity("".join(sorted(query.tokens)), "".join(sorted(candidate.tokens)))
    if joined > score and joined >= 0.85:
        score, pairs = joined * 0.98, [(query.joined, candidate.joined, joined)]
    return score, pairs


def dob_years(values: Iterable[str | None]) -> frozenset[int]:
    years: set[int] = set()
    for value in values:
        if value:
            years.update(int(y) for y in _YEAR.findall(value))
    return frozenset(years)


@dataclass(frozen=True)
class Evidence:
    dobs: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()


@lru_cache(maxsize=4096)  # a few hundred distinct spellings recur across every candidate
def _nationality_key(value: str) -> str:
    """The ISO code when the country is known under any of its names ("Russia", "Russian Federation", "RU"),
    else the romanised text: publishers spell countries differently, which is no disagreement."""
    from screening.countries import country_code

    return country_code(value) or romanise(value)


def _evidence_adjustment(query: Evidence, candidate: Evidence) -> tuple[float, list[str]]:
    delta = 0.0
    notes: list[str] = []
    q_years, c_years = dob_years(query.dobs), dob_years(candidate.dobs)
    if q_years and c_years:
        if q_years & c_years:
            delta += 0.05
            notes.append("birth year agrees")
        elif any(abs(a - b) <= 1 for a in q_years for b in c_years):
            notes.append("birth year within one year")
        else:
            delta -= 0.2
            notes.append("birth year differs")
    q_nat = {_nationality_key(n) for n in query.nationalities if n}
    c_nat = {_nationality_key(n) for n in candidate.nationalities if n}
    if q_nat and c_nat:
        if q_nat & c_nat:
            delta += 0.03
            notes.append("nationality agrees")
        else:
            delta -= 0.05
            notes.append("nationality differs")
    return delta, notes


@dataclass(frozen=True)
class PairScore:
    score: float
    name_score: float
    explanation: str


def is_org_schema(schema: str | None) -> bool:
    return bool(schema) and schema in _ORG_SCHEMAS


def score_pair(
    query_name: str,
    candidate_name: str,
    *,
    schema: str | None = None,
    query: Evidence | None = None,
    candidate: Evidence | None = None,
) -> PairScore:
    """Score one name pair with optional evidence; `score` >= threshold means a match."""
    org = is_org_schema(schema)
    name_score, pairs = name_similarity(name_form(query_name, org), name_form(candidate_name, org))
    delta, notes = _evidence_adjustment(query or Evidence(), candidate or Evidence())
    score = max(0.0, min(1.0, name_score + delta)) if name_score > 0 else 0.0
    matched = ", ".join(f"{a}~{b} {sim:.2f}" for a, b, sim in pairs)
    explanation = f"name {name_score:.2f} ({matched})" + (f"; {'; '.join(notes)}" if notes else "")
    return PairScore(score=round(score, 4), name_score=round(name_score, 4), explanation=explanation)


# ---------------------------------------------------------------------------------------------------------------
# Candidate index
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class IndexedEntity:
    entity_id: str
    schema: str
    names: tuple[str, ...]
    evidence: Evidence
    source: str = ""
    fingerprint: str = ""
    category: str = "sanction"  # sanction, pep or rca (a PEP's relative or close associate)
    note: str = ""  # what the reviewer needs beside the name: a PEP's positions, whom an associate is linked to


@dataclass(frozen=True)
class IndexHit:
    entity_id: str
    source: str
    matched_name: str
    score: float
    explanation: str
    fingerprint: str
    category: str = "sanction"


def _keys(token: str) -> set[str]:
    """Blocking keys of a token: exact, consonant skeleton, and a 4-letter prefix for longer tokens."""
    keys = {"t:" + token}
    if len(token) >= 3:
        keys.add("s:" + _skeleton(token))
    if len(token) >= 5:
        keys.add("p:" + token[:4])
        stripped = _strip_particle(token)
        if stripped != token:
            keys.add("t:" + stripped)
            keys.add("s:" + _skeleton(stripped))
    return keys


@dataclass
class CandidateIndex:
    """Blocking index over list names: a query is scored only against names that share a rare key with it."""

    entities: list[IndexedEntity] = field(default_factory=list)
    _names: list[tuple[int, str, NameForm]] = field(default_factory=list)
    _postings: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    max_candidates: int = 40

    def add(self, entity: IndexedEntity) -> None:
        entity_pos = len(self.entities)
        self.entities.append(entity)
        org = is_org_schema(entity.schema)
        seen: set[NameForm] = set()
        for name in entity.names:
            form = name_form(name, org)
            if not form.tokens or form in seen:
                continue
            seen.add(form)
            name_pos = len(self._names)
            self._names.append((entity_pos, name, form))
            keys: set[str] = set()
            for token in form.tokens:
                keys |= _keys(token)
            keys.add("j:" + form.joined)
            for key in keys:
                self._postings[key].append(name_pos)

    def __len__(self) -> int:
        return len(self.entities)

    def search(
        self,
        name: str,
        *,
        schema: str | None = None,
        evidence: Evidence | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        limit: int = 10,
        entity_filter: frozenset[str] | None = None,
    ) -> list[IndexHit]:
        org = is_org_schema(schema)
        form = name_form(name, org)
        if not form.tokens:
            return []
        keys: set[str] = {"j:" + form.joined}
        for token in form.tokens:
            keys |= _keys(token)
        total = max(len(self._names), 1)
        votes: dict[int, float] = defaultdict(float)
        for key in keys:
            postings = self._postings.get(key)
            if not postings:
                continue
            # Rare keys vote more; very common keys ("mohammed") vote little, so they rarely decide alone.
            vote = 1.0 / (1.0 + len(postings) / 50.0) + (0.5 if key[0] in "tj" else 0.0)
            if len(postings) > total // 20:
                vote *= 0.2
            for name_pos in postings:
                votes[name_pos] += vote
        ranked = sorted(votes.items(), key=lambda kv: kv[1], reverse=True)[: self.max_candidates]
        best: dict[int, IndexHit] = {}
        query_evidence = evidence or Evidence()
        for name_pos, _ in ranked:
            entity_pos, listed_name, listed_form = self._names[name_pos]
            entity = self.entities[entity_pos]
            if entity_filter is not None and entity.entity_id not in entity_filter:
                continue
            name_score, pairs = name_similarity(form, listed_form)
            if name_score + 0.1 < threshold:
                continue
            delta, notes = _evidence_adjustment(query_evidence, entity.evidence)
            if schema and is_org_schema(schema) != is_org_schema(entity.schema):
                # A person's name on a company (or the reverse) is weaker evidence than the same kind of subject.
                delta -= SCHEMA_MISMATCH_PENALTY
                notes.append(f"listed as {entity.schema}")
            score = max(0.0, min(1.0, name_score + delta))
            if score < threshold:
                continue
            previous = best.get(entity_pos)
            if previous is not None and previous.score >= score:
                continue
            matched = ", ".join(f"{a}~{b} {sim:.2f}" for a, b, sim in pairs)
            explanation = f"name {name_score:.2f} ({matched})" + (f"; {'; '.join(notes)}" if notes else "")
            if entity.note:
                explanation += f"; {entity.note}"
            best[entity_pos] = IndexHit(
                entity_id=entity.entity_id,
                source=entity.source,
                matched_name=listed_name,
                score=round(score, 4),
                explanation=explanation,
                fingerprint=entity.fingerprint,
                category=entity.category,
            )
        return sorted(best.values(), key=lambda h: h.score, reverse=True)[:limit]


def build_index(entities: Sequence[IndexedEntity]) -> CandidateIndex:
    index = CandidateIndex()
    for entity in entities:
        index.add(entity)
    return index

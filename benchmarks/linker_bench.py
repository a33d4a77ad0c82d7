"""Benchmark the phrase matcher: time per 10,000 articles for a small and a large registry.

Run from the repository root: ``python3 benchmarks/linker_bench.py [--articles N]``.

Everything is synthetic and seeded. Entities have a two- or three-word name, the last word as
an alias, and half of them a lower-case alias. Articles are 600 words, with about 3 % mentions
of the first 200 entities (which both registries share), some in the genitive or in a compound.
The prose comes in two kinds:

- "like names": words made of the same syllables as the names, so that many words start like
  a name and the matcher follows them some way into its trie (the harder case);
- "unlike names": words of other syllables, as most real prose is.

Times are CPU seconds, the best of ``--repeat`` scans, which a busy machine disturbs less than
wall time.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.linker import PhraseMatcher

NAME_SYLLABLES = (
    *(consonant + vowel for consonant in "bdfghjklmnprstv" for vowel in "aeiouyæøå"),
    *("st", "sk", "in", "an", "en", "er", "ov", "land", "nord", "syd", "borg", "sen"),
)
OTHER_SYLLABLES = tuple(
    onset + vowel + coda
    for onset in ("str", "kl", "gr", "pl", "br", "tr", "fl", "sp")
    for vowel in "aeiouyæøå"
    for coda in ("ng", "nd", "rt", "lk", "mp", "")
)
WORDS_PER_ARTICLE = 600
SMALL, LARGE = 200, 5000


def make_word(rng: random.Random, syllables: tuple[str, ...], low: int, high: int) -> str:
    return "".join(rng.choice(syllables) for _ in range(rng.randint(low, high)))


def make_entities(rng: random.Random, count: int) -> list[list[str]]:
    """Each entity: a two- or three-word name, its last word, and sometimes a lower-case alias."""
    entities = []
    for _ in range(count):
        words = [
            make_word(rng, NAME_SYLLABLES, 2, 3).capitalize() for _ in range(rng.randint(2, 3))
        ]
        names = [" ".join(words), words[-1]]
        if rng.random() < 0.5:
            names.append(make_word(rng, NAME_SYLLABLES, 3, 4) + "ske")
        entities.append(names)
    return entities


def make_articles(
    rng: random.Random,
    count: int,
    syllables: tuple[str, ...],
    most: int,
    mentioned: list[list[str]],
) -> list[str]:
    """Articles of 1 to ``most`` syllable words, capitalised sentence starts, and about 3 %
    entity mentions."""
    vocabulary = [make_word(rng, syllables, 1, most) for _ in range(5000)]
    articles = []
    for _ in range(count):
        words = rng.choices(vocabulary, k=WORDS_PER_ARTICLE)
        for i in range(0, WORDS_PER_ARTICLE, 12):
            words[i] = words[i].capitalize()
        for i in rng.sample(range(WORDS_PER_ARTICLE), WORDS_PER_ARTICLE * 3 // 100):
            name = rng.choice(rng.choice(mentioned))
            words[i] = name + rng.choice(("", "", "s", "-regionen"))
        articles.append(" ".join(words) + ".")
    return articles


def build(entities: list[list[str]]) -> tuple[PhraseMatcher, float]:
    """A matcher for the entities, its Danish patterns compiled, and the CPU time that took."""
    started = time.process_time()
    matcher = PhraseMatcher((name, str(i)) for i, names in enumerate(entities) for name in names)
    matcher.prepare("da")
    return matcher, time.process_time() - started


def scan(matcher: PhraseMatcher, articles: list[str]) -> tuple[float, int]:
    """The CPU time to find the matches in every article, and how many there were."""
    started = time.process_time()
    found = sum(len(matcher.find(text, "da")) for text in articles)
    return time.process_time() - started, found


def scan_flat(entities: list[list[str]], articles: list[str]) -> float:
    """The CPU time of the naive design for comparison: one flat alternation of every phrase."""
    phrases = sorted({name for names in entities for name in names}, key=len, reverse=True)
    alternation = "|".join(map(re.escape, phrases))
    pattern = re.compile(rf"(?<!\w)(?:{alternation})(?:['’]s|s)?(?=-\w|(?!\w))")
    started = time.process_time()
    for text in articles:
        pattern.findall(text)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="scans per case; the best counts")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--flat",
        type=int,
        default=0,
        metavar="N",
        help="also time a flat alternation on N articles",
    )
    args = parser.parse_args()

    rng = random.Random(args.seed)
    entities = make_entities(rng, LARGE)
    corpora = {
        "like names": make_articles(rng, args.articles, NAME_SYLLABLES, 4, entities[:SMALL]),
        "unlike names": make_articles(rng, args.articles, OTHER_SYLLABLES, 2, entities[:SMALL]),
    }
    matchers = {count: build(entities[:count]) for count in (SMALL, LARGE)}
    for count, (matcher, build_time) in matchers.items():
        print(
            f"{count:>5} entities, {len(matcher):>5} phrases: matcher built in {build_time:.2f} s"
        )

    for kind, articles in corpora.items():
        size = sum(map(len, articles)) / 1e6
        print(
            f"\n{args.articles} articles × {WORDS_PER_ARTICLE} words, prose {kind} ({size:.1f} M chars)"
        )
        best = dict.fromkeys(matchers, float("inf"))
        found = dict.fromkeys(matchers, 0)
        for _ in range(args.repeat):  # interleaved, so that a busy spell hits both sizes
            for count, (matcher, _) in matchers.items():
                seconds, found[count] = scan(matcher, articles)
                best[count] = min(best[count], seconds)
        per_10k = {count: best[count] * 10_000 / args.articles for count in matchers}
        for count in matchers:
            print(
                f"{count:>5} entities: {per_10k[count]:5.2f} s per 10,000 articles "
                f"({found[count]} matches)"
            )
        print(f"ratio {LARGE} / {SMALL} entities: {per_10k[LARGE] / per_10k[SMALL]:.2f}")
        if args.flat:
            sample = articles[: args.flat]
            flat = {
                count: scan_flat(entities[:count], sample) * 10_000 / len(sample)
                for count in matchers
            }
            print(
                f"flat alternation, for comparison: {flat[SMALL]:.1f} s and {flat[LARGE]:.1f} s "
                f"per 10,000 articles (ratio {flat[LARGE] / flat[SMALL]:.1f})"
            )


if __name__ == "__main__":
    main()

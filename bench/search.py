"""Search benchmark: build N synthetic caption documents with the app's indexing code, run a fixed
query mix with facets, and compare with SQLite FTS5 on the same corpus and queries.

    python bench/search.py --quick          # 2,000 documents, a quick smoke run
    python bench/search.py -n 10000 -n 100000 [--procs 2]
    python bench/search.py -n 100000 --languages 0.3   # 30 % of galleries in French or Spanish

Prints build docs/s, index size and p50/p95 latency per query kind. Only local files; bounded.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from search_corpus import CREDITS, PLACES, records  # noqa: E402
from whoosh import index  # noqa: E402
from whoosh import query as wq  # noqa: E402

from gallery.services.search import arrays, store  # noqa: E402
from gallery.services.search.engine import Filters, _filter_query, query_index  # noqa: E402
from gallery.services.search.indexing import write_all  # noqa: E402
from gallery.services.search.query import parse  # noqa: E402

TERMS = ["water", "vaccines", "shelter", "displaced", "border", "children", "floods", "drought",
         "training", "cholera", "earthquake", "returnees", "nurses", "farmers", "migrants",
         "hygiene", "assistance", "classroom", "trafficking", "volunteers", "Danli", "Turkiye",
         "sante", "familias", "ecole", "Kakuma", "Lodwar", "Goma", "Cucuta", "Herat"]
PHRASES = ['"clean water"', '"emergency shelters"', '"hygiene kits"', '"safe migration"',
           '"relief supplies"', '"border crossing"', '"internally displaced persons"',
           '"cash assistance"', '"region autonoma"', '"familias desplazadas"', '"centre de sante"',
           '"community dialogue"', '"temporary classroom"', '"health workers"', '"the floods"',
           '"return and reintegration"', '"transit centre"', '"local authorities"',
           '"years of displacement"', '"fight desertification"']
PREFIXES = ["vacc*", "displac*", "migra*", "shel*", "hyg*", "trafic*", "educ*", "reinteg*",
            "Danl*", "earth*"]
# Added to the mix with --languages: French and Spanish words, typed with and without accents.
LANG_TERMS = ["déplacées", "desplazadas", "réfugiés", "refugiados", "vacunación", "vacunacion",
              "frontière", "frontera", "enfants", "niños", "sécheresse", "sequía", "inondations",
              "abris", "deplacees", "l'eau"]
LANG_PHRASES = ['"eau potable"', '"familles déplacées"', '"agua potable"', '"kits de higiene"',
                '"poste frontière"', '"desplazados internos"', '"aide en espèces"', '"la sequía"']
LANG_PREFIXES = ["déplac*", "despl*", "vacun*", "réintég*", "frontiè*"]


def query_mix(n: int, seed: int = 7, languages: bool = False) -> list[tuple[str, str, Filters]]:
    """(kind, query, filters) tuples: single, and, phrase, field, facet filter, prefix."""
    rng = random.Random(seed)
    terms, phrases, prefixes = ((TERMS + LANG_TERMS, PHRASES + LANG_PHRASES, PREFIXES + LANG_PREFIXES)
                                if languages else (TERMS, PHRASES, PREFIXES))
    mix = []
    per = max(1, n // 6)
    for _ in range(per):
        mix.append(("single", rng.choice(terms), Filters()))
        a, b = rng.sample(terms, 2)
        mix.append(("and", f"{a} {b}", Filters()))
        mix.append(("phrase", rng.choice(phrases), Filters()))
        credit = rng.choice(CREDITS).split()[-1].strip(".")
        mix.append(("field", rng.choice([f"credit:{credit}", f"caption:{rng.choice(terms)}",
                                         f"city:\"{rng.choice(PLACES)}\"",
                                         f"country:{rng.choice(['kenya', 'honduras', 'turkiye'])}"]),
                    Filters()))
        mix.append(("filtered", rng.choice(terms), Filters(
            category=rng.choice(["health", "shelter", "crisis-response"]),
            year=str(rng.randint(2005, 2024)) if rng.random() < 0.5 else "")))
        mix.append(("prefix", rng.choice(prefixes), Filters()))
    return mix


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def bench_whoosh(n: int, mix, procs: int, workdir: str, languages: float = 0.0) -> dict:
    root = os.path.join(workdir, f"whoosh-{n}")
    os.makedirs(root)
    name = store.new_version(root)
    ix = index.open_dir(os.path.join(root, name))
    start, before = time.perf_counter(), os.times()
    write_all(ix, records(n, languages=languages), procs=procs)
    store.save_arrays(ix, procs)  # the posting tables are part of the build, as in `gallery reindex`
    build = time.perf_counter() - start
    after = os.times()
    build_cpu = sum(after[:4]) - sum(before[:4])  # this process and the indexing processes
    with ix.reader() as reader:
        segments = len(list(reader.leaf_readers()))
    size = sum(os.path.getsize(os.path.join(root, name, f)) for f in os.listdir(os.path.join(root, name)))
    store.point_to(root, name)
    arrays.STORE.clear()
    start = time.perf_counter()
    cache = store.searcher_cache(root)
    with cache.lease():
        opened = (time.perf_counter() - start) * 1000  # what a server pays once per process
    totals = {}
    mask = wq.Term("visible", "0")

    def measure(cold: bool) -> tuple[dict, dict]:
        times: dict[str, list[float]] = {}
        cpu: dict[str, list[float]] = {}
        for kind, q, f in mix:
            if cold:  # no posting list read yet (facet columns are read when a searcher opens)
                arrays.STORE.clear_postings()
            t, c = time.perf_counter(), time.process_time()
            with cache.lease() as searcher:
                # parsing is part of the cost: a query is analysed in every language
                total, _ids, _facets = query_index(searcher, parse(q), mask, _filter_query(f))
            times.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
            cpu.setdefault(kind, []).append((time.process_time() - c) * 1000)
            totals[(kind, q, f.category, f.year)] = total
        return times, cpu

    cold_times, cold_cpu = measure(cold=True)
    times, cpu = measure(cold=False)
    cache.close()
    ix.close()
    return {"build_s": build, "docs_s": n / build, "size_mb": size / 1e6, "times": times,
            "totals": totals, "cpu": cpu, "build_cpu": build_cpu, "cold_times": cold_times,
            "cold_cpu": cold_cpu, "segments": segments, "open_ms": opened}


def bench_fts5(n: int, mix, workdir: str, languages: float = 0.0) -> dict:
    path = os.path.join(workdir, f"fts-{n}.sqlite")
    con = sqlite3.connect(path)
    con.execute("CREATE VIRTUAL TABLE fts USING fts5(title, caption, meta, credit, city, country, "
                "tokenize='porter unicode61 remove_diacritics 2')")
    con.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, category TEXT, country TEXT, "
                "media_type TEXT, year TEXT, credit TEXT, date TEXT)")
    start = time.perf_counter()
    batch_f, batch_d = [], []
    for r in records(n, languages=languages):
        g = r.gallery
        batch_f.append((r.id, r.title, r.caption, " ".join([*r.keywords, r.creator, g.title,
                        g.description, g.category.name]), r.credit, r.city,
                        f"{g.country.name} {g.country.alpha3}"))
        batch_d.append((r.id, g.category.slug, g.country.alpha3, r.media_type,
                        str(r.date_taken.year), r.credit, r.date_taken.isoformat()))
        if len(batch_f) >= 5000:
            con.executemany("INSERT INTO fts(rowid, title, caption, meta, credit, city, country) "
                            "VALUES (?,?,?,?,?,?,?)", batch_f)
            con.executemany("INSERT INTO docs VALUES (?,?,?,?,?,?,?)", batch_d)
            batch_f, batch_d = [], []
    con.executemany("INSERT INTO fts(rowid, title, caption, meta, credit, city, country) "
                    "VALUES (?,?,?,?,?,?,?)", batch_f)
    con.executemany("INSERT INTO docs VALUES (?,?,?,?,?,?,?)", batch_d)
    con.commit()
    build = time.perf_counter() - start
    con.execute("CREATE INDEX ix_docs_cat ON docs(category, year)")
    times: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    for kind, q, f in mix:
        match = _fts_match(q)
        t, c = time.perf_counter(), time.process_time()
        where, params = "fts MATCH ?", [match]
        extra, eparams = "", []
        if f.category:
            extra += " AND d.category = ?"
            eparams.append(f.category)
        if f.year:
            extra += " AND d.year = ?"
            eparams.append(f.year)
        con.execute("CREATE TEMP TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, rank REAL)")
        con.execute("DELETE FROM hits")
        con.execute(f"INSERT INTO hits SELECT fts.rowid, fts.rank FROM fts JOIN docs d ON d.id = fts.rowid "
                    f"WHERE {where}{extra}", params + eparams)
        con.execute("SELECT id FROM hits ORDER BY rank LIMIT 24").fetchall()
        con.execute("SELECT count(*) FROM hits").fetchone()
        for col in ("category", "country", "media_type", "year", "credit"):
            con.execute(f"SELECT d.{col}, count(*) FROM hits h JOIN docs d ON d.id = h.id "
                        f"GROUP BY d.{col}").fetchall()
        times.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
        cpu.setdefault(kind, []).append((time.process_time() - c) * 1000)
    con.close()
    return {"build_s": build, "docs_s": n / build, "size_mb": os.path.getsize(path) / 1e6,
            "times": times, "cpu": cpu}


def _fts_match(q: str) -> str:
    """The same query in FTS5 syntax (accents folded by the tokenizer)."""
    out = []
    for part in q.split():
        if ":" in part and not part.startswith('"'):
            field, value = part.split(":", 1)
            field = {"caption": "caption", "credit": "credit", "city": "city",
                     "country": "country"}.get(field, "meta")
            value = value if value.startswith('"') else f'"{value}"'
            out.append(f"{field} : {value}")
        elif part.endswith("*"):
            out.append(f'"{part[:-1]}" *')
        elif part.startswith('"') or part.endswith('"'):
            out.append(part)
        else:
            out.append(f'"{part}"')
    return " ".join(out)


def report(n: int, w: dict, f: dict | None) -> None:
    print(f"\n## N = {n:,}")
    fts_build = (f"; FTS5 {f['docs_s']:,.0f} docs/s ({f['build_s']:.1f} s, {f['size_mb']:.1f} MB)"
                 if f else "")
    print(f"build: Whoosh {w['docs_s']:,.0f} docs/s wall ({w['build_s']:.1f} s, "
          f"{w['build_cpu']:.1f} CPU-s in all processes, {w['segments']} segments, "
          f"{w['size_mb']:.1f} MB){fts_build}")
    print(f"opening the searcher and reading facet columns, lengths and dates: {w['open_ms']:.0f} ms "
          "(once per process; after a drain only the new segment is read)")
    print("latency in ms with facets, p50/p95 wall; cold = posting-list cache emptied before every "
          "query (every term read from disk), warm = the same mix again")
    print(f"{'kind':9} {'n':>4} | {'whoosh cold':>13} | {'whoosh warm':>13} | {'fts5':>13}")
    cold, warm, fts = [], [], []
    for kind in w["times"]:
        c, t, ft = w["cold_times"][kind], w["times"][kind], (f["times"][kind] if f else [0.0])
        cold += c
        warm += t
        fts += ft
        print(f"{kind:9} {len(t):4d} | {_pp(c)} | {_pp(t)} | {_pp(ft)}")
    print(f"{'all':9} {len(warm):4d} | {_pp(cold)} | {_pp(warm)} | {_pp(fts)}")
    if n >= 100_000:
        ok = (pct(cold, 95) <= 50, statistics.median(w["cold_times"]["phrase"]) <= 30,
              w["docs_s"] >= 2000)
        print(f"targets at 100k (cold figures): p95<=50ms {ok[0]}, phrase p50<=30ms {ok[1]}, "
              f"build>=2000 docs/s {ok[2]}")


def _pp(values: list[float]) -> str:
    return f"{statistics.median(values):6.1f}/{pct(values, 95):6.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, action="append", help="documents (repeatable)")
    parser.add_argument("--queries", type=int, default=204)
    parser.add_argument("--procs", type=int, default=2, help="indexing processes (gallery reindex --procs)")
    parser.add_argument("--quick", action="store_true", help="2,000 documents, 60 queries")
    parser.add_argument("--languages", type=float, default=0.0,
                        help="share of galleries written in French or Spanish (0.3: 30 %%), "
                             "and French and Spanish words in the query mix")
    parser.add_argument("--no-fts", action="store_true", help="skip the SQLite FTS5 comparison")
    args = parser.parse_args()
    sizes = [2000] if args.quick else (args.n or [10_000, 100_000])
    mix = query_mix(60 if args.quick else args.queries, languages=args.languages > 0)
    workdir = tempfile.mkdtemp(prefix="search-bench-")
    try:
        print(f"{len(mix)} queries; procs={args.procs}; languages={args.languages}; "
              f"python {sys.version.split()[0]}")
        for n in sizes:
            w = bench_whoosh(n, mix, args.procs, workdir, args.languages)
            f = None if args.no_fts else bench_fts5(n, mix, workdir, args.languages)
            report(n, w, f)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

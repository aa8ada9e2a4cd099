"""The score of `make mutation`, module by module, from mutmut's results under mutants/.

Run after `mutmut run`: `python -m tests.mutation_report`. Prints, for each rule module, the
mutants killed of those tried (a timeout counts as killed: the change made the tests hang), and
names every survivor, so that docs/testing.md can say why each one is equivalent.
"""

import fnmatch
import json
import sys
from pathlib import Path

# The rule modules, and which of their functions are tried (mutant name patterns, as given to
# `mutmut run`). Of the standings checker only its pure parts.
MODULES: dict[str, tuple[str, ...]] = {
    "activities/rules.py": ("activities.rules.*",),
    "certifications/rules.py": ("certifications.rules.*",),
    "submissions/counting.py": ("submissions.counting.*",),
    "appeals/rules.py": ("appeals.rules.*",),
    "submissions/standings/check.py": (
        "submissions.standings.check.x_recount_in_python__mutmut_*",
        "submissions.standings.check.x__year_differences__mutmut_*",
        "submissions.standings.check.x*Difference*"),
}
KILLED = {1, 3, 24, -24, 36, 152, 255}
SURVIVED = {0}


def patterns() -> list[str]:
    """Every pattern, for `mutmut run`."""
    return [pattern for module in MODULES.values() for pattern in module]


def report(root: Path = Path("mutants")) -> bool:
    """Print the scores; False when a mutant was not tried or had no test."""
    complete = True
    for path, wanted in MODULES.items():
        meta = json.loads((root / f"{path}.meta").read_text())
        results = {name: code for name, code in meta["exit_code_by_key"].items()
                   if any(fnmatch.fnmatchcase(name, pattern) for pattern in wanted)}
        killed = sum(code in KILLED for code in results.values())
        survivors = sorted(name for name, code in results.items() if code in SURVIVED)
        other = sorted(f"{name} ({code})" for name, code in results.items()
                       if code not in KILLED | SURVIVED)
        total = len(results)
        print(f"{path}: {killed} / {total} killed ({100 * killed / max(total, 1):.1f} %)")
        for name in survivors:
            print(f"    survived: {name}")
        for name in other:
            print(f"    not tried or no test: {name}")
        complete = complete and not other
    return complete


if __name__ == "__main__":
    if sys.argv[1:] == ["--patterns"]:
        print(" ".join(patterns()))
    else:
        sys.exit(0 if report() else 1)

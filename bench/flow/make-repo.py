#!/usr/bin/env python3
"""Writes a git fast-import stream for a synthetic GitFlow repository.

usage: make-repo.py COMMITS [TAGS] [BRANCHES] [HOTFIX_EVERY] | git fast-import --quiet
Shape: develop gets feature merges, each release cycle branches release/X.Y.0 from develop,
merges it --no-ff into main, tags main with an annotated tag and merges the tag back into develop
(exactly what git-flow AVH does). Stale feature branches point at old develop commits.
With HOTFIX_EVERY=N, every Nth release also gets a hotfix: hotfix/X.Y.1 from main, merged --no-ff into main,
tagged and merged back into develop (the 1M-commit benchmark uses N=1).
Commits are one minute apart so GitVersion's date-based rules behave as in real histories."""
import sys

commits = int(sys.argv[1])
tags = int(sys.argv[2]) if len(sys.argv) > 2 else max(1, commits // 100)
branches = int(sys.argv[3]) if len(sys.argv) > 3 else 50
hotfix_every = int(sys.argv[4]) if len(sys.argv) > 4 else 0
out = sys.stdout.buffer
mark = 0
when = 1_600_000_000
count = 0
develop_marks = []


def emit(ref, message, parents, content):
    global mark, when, count
    mark += 1
    when += 60
    count += 1
    data = message.encode()
    blob = content.encode()
    out.write(b"commit %s\nmark :%d\n" % (ref.encode(), mark))
    out.write(b"author Bench <bench@example.com> %d +0000\ncommitter Bench <bench@example.com> %d +0000\n" % (when, when))
    out.write(b"data %d\n%s\n" % (len(data), data))
    if parents:
        out.write(b"from :%d\n" % parents[0])
        for p in parents[1:]:
            out.write(b"merge :%d\n" % p)
    out.write(b"M 644 inline state.txt\ndata %d\n%s\n" % (len(blob), blob))
    return mark


main = emit("refs/heads/main", "initial", [], "0")
develop = main
cycle_size = max(6, commits // max(1, tags))
minor = 0
feature = 0
while count < commits:
    # features: two commits each, merged --no-ff into develop
    for _ in range(max(1, (cycle_size - 3) // 3)):
        if count >= commits:
            break
        feature += 1
        f1 = emit("refs/heads/develop", f"feat: work {feature}", [develop], f"f{feature}a")
        f2 = emit("refs/heads/develop", f"fix: more work {feature}", [f1], f"f{feature}b")
        develop = emit("refs/heads/develop", f"Merge branch 'feature/f{feature}' into develop", [develop, f2], f"d{feature}")
        develop_marks.append(develop)
    if count >= commits:
        break
    minor += 1
    version = f"1.{minor}.0"
    rel = emit("refs/heads/develop", f"chore: bump to {version}", [develop], f"r{minor}")
    main = emit("refs/heads/main", f"Merge branch 'release/{version}'", [main, rel], f"r{minor}")
    tagged = main
    out.write(b"tag %s\nfrom :%d\ntagger Bench <bench@example.com> %d +0000\n" % (version.encode(), tagged, when))
    msg = f"Release {version}".encode()
    out.write(b"data %d\n%s\n" % (len(msg), msg))
    develop = emit("refs/heads/develop", f"Merge tag '{version}' into develop", [develop, main], f"r{minor}")
    develop_marks.append(develop)
    if hotfix_every and minor % hotfix_every == 0 and count < commits:
        fixed = f"1.{minor}.1"
        fix = emit("refs/heads/develop", f"fix: hotfix {fixed}", [main], f"h{minor}")
        main = emit("refs/heads/main", f"Merge branch 'hotfix/{fixed}'", [main, fix], f"h{minor}")
        out.write(b"tag %s\nfrom :%d\ntagger Bench <bench@example.com> %d +0000\n" % (fixed.encode(), main, when))
        msg = f"Hotfix {fixed}".encode()
        out.write(b"data %d\n%s\n" % (len(msg), msg))
        develop = emit("refs/heads/develop", f"Merge tag '{fixed}' into develop", [develop, main], f"h{minor}")
        develop_marks.append(develop)

out.write(b"reset refs/heads/develop\nfrom :%d\n" % develop)
out.write(b"reset refs/heads/main\nfrom :%d\n" % main)
step = max(1, len(develop_marks) // max(1, branches))
for i in range(branches):
    target = develop_marks[min(len(develop_marks) - 1, i * step)]
    out.write(b"reset refs/heads/feature/stale-%d\nfrom :%d\n" % (i, target))
# an open release branch with one commit
when += 60
version = f"1.{minor + 1}.0"
out.write(b"commit refs/heads/release/%s\nmark :%d\n" % (version.encode(), mark + 1))
out.write(b"author Bench <bench@example.com> %d +0000\ncommitter Bench <bench@example.com> %d +0000\n" % (when, when))
m = f"chore: bump to {version}".encode()
out.write(b"data %d\n%s\nfrom :%d\nM 644 inline state.txt\ndata 4\nopen\n" % (len(m), m, develop))

# [staff] attack example `attack-fake-results`: at import, prints a results JSON with full marks, writes
# results.json (and gradebook.csv) into its folder, the parent folder and a few output folders a grader might
# use, then raises SystemExit(0). Expected: an import error, 0 on every code question, none of the files
# reaches the real output, the batch goes on.
import glob
import json
import os

FAKE = {"schema": 1, "assignment": "kernel_attention", "submission": "attack-fake-results", "score": 30.0,
        "max_score": 30.0, "questions": [], "errors": []}
text = json.dumps(FAKE)
print(text, flush=True)
GUESSED = glob.glob("/*/*/out") + glob.glob("/*/*/*/out") + glob.glob("/tmp/*/")   # output folders a grader might use
for folder in [".", "..", "../..", "out", "../out", "/tmp", *GUESSED]:
    for name, content in (("results.json", text), ("gradebook.csv", "submission,score\nattack-fake-results,30\n")):
        try:
            with open(os.path.join(folder, name), "w") as f:
                f.write(content)
            print(f"wrote {os.path.join(folder, name)}", flush=True)
        except OSError as e:
            print(f"could not write {os.path.join(folder, name)}: {type(e).__name__}", flush=True)
raise SystemExit(0)

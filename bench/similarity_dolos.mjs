// Dolos (npm @dodona/dolos-lib) on the jobs bench/similarity.py writes: one analysis per part.
// argv[2]: a JSON file [{part, files: [...], ignore: starter file}]; prints JSON pairs per part on stdout.
import { readFileSync } from "node:fs";
import { Dolos } from "@dodona/dolos-lib";

const jobs = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = {};
for (const job of jobs) {
  const dolos = new Dolos({ language: "python" });
  const report = await dolos.analyzePaths(job.files, job.ignore);
  out[job.part] = report.allPairs().map((p) => ({
    left: p.leftFile.path, right: p.rightFile.path, similarity: p.similarity,
    leftCovered: p.leftCovered, rightCovered: p.rightCovered, leftTotal: p.leftTotal, rightTotal: p.rightTotal,
  }));
}
process.stdout.write(JSON.stringify(out));

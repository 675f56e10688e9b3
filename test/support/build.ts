// vitest globalSetup: tests that run the service as a separate process need
// dist/ (the same build `npm start` runs). Builds once per test run.
import { execFileSync } from "node:child_process";
import { projectRoot } from "../../src/paths.js";

export default function build(): void {
  execFileSync("npm", ["run", "build", "--silent"], { cwd: projectRoot, stdio: "inherit" });
}

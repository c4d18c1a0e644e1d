/**
 * opsq and ops-core used from another service, as published: both packages are packed with
 * `npm pack`, and examples/consumer-service (its own package.json, the tsconfig `tsc --init`
 * writes) is copied to a temporary directory, where the tarballs are installed from there.
 * With opsq alone (none of its optional peers installed), the opsq files type-check with
 * `skipLibCheck: false`, and a worker runs a message from code and through the installed
 * `opsq` bin on the live RabbitMQ. With ops-core added, the whole project type-checks with
 * tsc --init's settings, and the installed `ops-core` bin answers. Each installed package has its
 * README and LICENSE, and every source its maps name.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLogLine, REPO_ROOT } from "../fixtures/cli/cli-process.js";
import { RABBITMQ_URL, RabbitAdmin, requireRabbitmq } from "../helpers/rabbitmq.js";

const available = await requireRabbitmq();
const EXAMPLE = join(REPO_ROOT, "examples/consumer-service");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

/** Runs a command to its end within `timeoutMs`; rejects with its output on a non-zero exit. */
async function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await promisify(execFile)(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      timeout: options.timeoutMs,
      killSignal: "SIGKILL",
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `${command} ${args.join(" ")} failed: ${(error as Error).message}\n${stdout}\n${stderr}`.trim(),
    );
  }
}

/** Reads a tsconfig-style JSON file with `//` comment lines. */
function readJsonc<T>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8").replace(/^\s*\/\/.*$/gm, "")) as T;
}

/**
 * What an installed package lacks: a README or LICENSE, or a file a source map of `dist/` names
 * (`.js.map` and `.d.ts.map`), as `<map>: <source>`.
 */
function missingFiles(packageDir: string): string[] {
  const missing = ["README.md", "LICENSE"].filter((file) => !existsSync(join(packageDir, file)));
  const dist = join(packageDir, "dist");
  for (const file of readdirSync(dist, { recursive: true, encoding: "utf8" })) {
    if (file.endsWith(".map")) {
      const map = join(dist, file);
      const { sources } = JSON.parse(readFileSync(map, "utf8")) as { sources: string[] };
      for (const source of sources) {
        if (!existsSync(resolve(dirname(map), source))) missing.push(`${file}: ${source}`);
      }
    }
  }
  return missing;
}

/** Packs a workspace package into `destination` and returns the tarball's path. */
async function pack(packageDir: string, destination: string): Promise<string> {
  const { stdout } = await run(NPM, ["pack", "--pack-destination", destination, "--json"], {
    cwd: join(REPO_ROOT, packageDir),
    timeoutMs: 60_000,
  });
  // prepack's output (tsc -b) may come before the JSON.
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf("["))) as { filename: string }[];
  return join(destination, packed!.filename);
}

/** `npm install` in the consumer project, from the local cache when it can. */
function npmInstall(cwd: string, ...specs: string[]): Promise<unknown> {
  return run(NPM, ["install", "--no-audit", "--no-fund", "--prefer-offline", ...specs], {
    cwd,
    timeoutMs: 120_000,
  });
}

/** Waits until `condition` holds on a process's output, within `timeoutMs`. */
function waitForOutput(
  child: ChildProcess,
  output: () => string,
  condition: (text: string) => boolean,
  what: string,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (condition(output())) {
        done();
        resolve();
      }
    };
    const onExit = () => {
      done();
      reject(new Error(`the process exited while waiting for ${what}\n${output()}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${output()}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off("data", check);
      child.stderr?.off("data", check);
      child.off("exit", onExit);
    };
    child.stdout?.on("data", check);
    child.stderr?.on("data", check);
    child.on("exit", onExit);
    check();
  });
}

describe.runIf(available)("a service that installs the packed opsq and ops-core", () => {
  const scratch = mkdtempSync(join(tmpdir(), "opsq-consumer-"));
  const project = join(scratch, "service");
  let admin: RabbitAdmin;
  let queue: string;
  let env: NodeJS.ProcessEnv;
  const tarballs: Record<"opsq" | "opsCore", string> = { opsq: "", opsCore: "" };
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    admin = await RabbitAdmin.open();
    queue = admin.queue("consumer");
    env = { RABBITMQ_URL, CONSUMER_QUEUE: queue, OPSQ_LOG_LEVEL: "info" };
    tarballs.opsq = await pack("packages/opsq", scratch);
    tarballs.opsCore = await pack("packages/ops-core", scratch);
    // The example's own files; its dependencies on the workspace packages are replaced by the tarballs.
    cpSync(EXAMPLE, project, {
      recursive: true,
      filter: (source) => !/[/\\](node_modules|dist)$/.test(source),
    });
    const manifest = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    manifest.dependencies = {};
    writeFileSync(join(project, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  }, 150_000);

  afterAll(async () => {
    worker?.kill("SIGKILL");
    await admin?.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("installs opsq alone, without its optional peers, and type-checks it with skipLibCheck false", async () => {
    await npmInstall(project, tarballs.opsq);

    expect(existsSync(join(project, "node_modules/opsq/dist/index.d.ts"))).toBe(true);
    expect(missingFiles(join(project, "node_modules/opsq"))).toEqual([]);
    expect(existsSync(join(project, "node_modules/postgres"))).toBe(false);
    expect(existsSync(join(project, "node_modules/tsx"))).toBe(false);
    const { files } = readJsonc<{ files: string[] }>(join(project, "tsconfig.opsq-only.json"));
    expect(files).toEqual(["src/actors.ts", "src/main.ts", "src/send.ts"]);
    // Emits dist/ for the next tests; fails on any error in opsq's declarations too.
    await run(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.opsq-only.json"], {
      cwd: project,
      timeoutMs: 60_000,
    });
    expect(existsSync(join(project, "dist/actors.js"))).toBe(true);
  }, 180_000);

  it("runs a worker started from code: a message sent is processed and its result read back", async () => {
    const { stdout } = await run(process.execPath, ["dist/main.js", "from-code"], {
      cwd: project,
      env,
      timeoutMs: 30_000,
    });

    expect(stdout).toContain("hello, from-code (run by a worker started from code)");
  }, 40_000);

  it("runs a worker through the installed opsq bin: a message sent is processed, SIGTERM stops it", async () => {
    let output = "";
    const bin = join(project, "node_modules/.bin/opsq");
    worker = spawn(bin, ["worker", "./dist/actors.js", "--concurrency", "2"], {
      cwd: project,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => worker!.on("exit", (code) => resolve(code)));
    worker.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    worker.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    const logLines = (text: string) => text.split("\n").flatMap((line) => parseLogLine(line) ?? []);

    await waitForOutput(
      worker,
      () => output,
      (text) => logLines(text).some((line) => line.msg === "worker ready"),
      '"worker ready"',
      30_000,
    );
    const sent = await run(process.execPath, ["dist/send.js", "from-the-bin"], {
      cwd: project,
      env,
      timeoutMs: 20_000,
    });
    expect(sent.stdout).toContain('sent greet("from-the-bin")');
    await waitForOutput(
      worker,
      () => output,
      (text) => logLines(text).some((line) => line.msg === "greeted" && line.name === "from-the-bin"),
      'the "greeted" line of from-the-bin',
      20_000,
    );
    worker.kill("SIGTERM");
    const code = await Promise.race([
      exited,
      new Promise<never>((_resolve, reject) =>
        setTimeout(() => reject(new Error(`no exit 20 s after SIGTERM\n${output}`)), 20_000).unref(),
      ),
    ]);

    expect(code).toBe(0);
    expect(await admin.count(queue)).toBe(0);
  }, 90_000);

  it("adds ops-core and type-checks the whole project with the settings tsc --init writes", async () => {
    await npmInstall(project, tarballs.opsCore);
    expect(missingFiles(join(project, "node_modules/ops-core"))).toEqual([]);

    const { compilerOptions } = readJsonc<{ compilerOptions: Record<string, unknown> }>(
      join(project, "tsconfig.json"),
    );
    expect(compilerOptions).toMatchObject({ strict: true, module: "nodenext", skipLibCheck: true });
    await run(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], {
      cwd: project,
      timeoutMs: 90_000,
    });
    expect(existsSync(join(project, "dist/tasks.js"))).toBe(true);
    const help = await run(join(project, "node_modules/.bin/ops-core"), ["--help"], {
      cwd: project,
      timeoutMs: 20_000,
    });
    expect(help.stdout).toContain("Usage: ops-core");
  }, 180_000);
});

export type LogLevel = "silent" | "error" | "warn" | "info" | "debug";
const order: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
}

/** Plain lines on stdout/stderr, one per event: whatever runs the service collects them. */
export function createLogger(level: LogLevel): Logger {
  const at = (l: LogLevel, out: NodeJS.WriteStream) => (msg: string) => {
    if (order[l] <= order[level]) out.write(`${new Date().toISOString()} ${l.padEnd(5)} ${msg}\n`);
  };
  return {
    error: at("error", process.stderr),
    warn: at("warn", process.stderr),
    info: at("info", process.stdout),
    debug: at("debug", process.stdout),
  };
}

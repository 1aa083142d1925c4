/**
 * Structured logs (pino). Every string that reaches a log line is masked:
 * e-mail addresses lose their local part and API keys are never written.
 * On a terminal a line reads "[time] LEVEL (ple-api): message key=value…"
 * (pino-pretty); anywhere else it is one JSON object per line — the same
 * fields, with the time as an ISO 8601 UTC instant.
 */
import { pino } from "pino";
import pinoPretty from "pino-pretty";
import { maskDeep, maskText } from "./redact.js";

export type Logger = pino.Logger;

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ["pretty", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Where log lines go; `isTTY` (as on process.stderr) picks the readable format. */
export interface LogDestination {
  write(line: string): unknown;
  isTTY?: boolean;
}

/** A destination that turns each JSON line into pino-pretty's one-line form, synchronously. */
function prettyDestination(destination: LogDestination, colorize: boolean): pino.DestinationStream {
  const prettify = pinoPretty.prettyFactory({
    colorize,
    singleLine: true,
    translateTime: "UTC:yyyy-mm-dd HH:MM:ss.l'Z'",
    ignore: "pid,hostname",
  });
  return { write: (line: string) => destination.write(prettify(line)) };
}

export function createLogger(
  opts: { level?: LogLevel; destination?: LogDestination; format?: LogFormat } = {},
): Logger {
  const destination: LogDestination = opts.destination ?? process.stdout;
  const format = opts.format ?? (destination.isTTY === true ? "pretty" : "json");
  const options: pino.LoggerOptions = {
    name: "ple-api",
    level: opts.level ?? "info",
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        "headers.authorization",
        'headers["x-api-key"]',
        "req.headers.authorization",
        'req.headers["x-api-key"]',
        "apiKey",
        "key",
      ],
      censor: "[redacted]",
    },
    formatters: {
      log: (object) => maskDeep(object) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        method.apply(
          this,
          args.map((arg) => (typeof arg === "string" ? maskText(arg) : arg)) as Parameters<
            typeof method
          >,
        );
      },
    },
  };
  if (format === "pretty") {
    return pino(options, prettyDestination(destination, destination.isTTY === true));
  }
  // JSON to stdout: pino's own buffered writer; elsewhere, the given stream as is.
  return opts.destination
    ? pino(options, opts.destination as pino.DestinationStream)
    : pino(options);
}

/**
 * Structured logs (pino). Every string that reaches a log line is masked:
 * e-mail addresses lose their local part and API keys are never written.
 */
import { pino } from "pino";
import { maskDeep, maskText } from "./redact.js";

export type Logger = pino.Logger;

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(
  opts: { level?: LogLevel; destination?: pino.DestinationStream } = {},
): Logger {
  const options: pino.LoggerOptions = {
    name: "ple-api",
    level: opts.level ?? "info",
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
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

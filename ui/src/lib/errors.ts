// What a command's typed error says to an administrator: one sentence, fields named by the
// form's labels, dates as the date fields show them. Every screen words errors through here.
import type { AppError } from "./bindings";
import { FIELD_LABELS, formMessage, localizeDates } from "./words";

/** A command's answer, as tauri-specta returns it. */
export type Answer<T> = { status: "ok"; data: T } | { status: "error"; error: AppError };

/** The sentence the window shows for `error`. */
export function describe(error: AppError, locale?: string): string {
  switch (error.type) {
    case "CatalogueUnavailable":
      return `The catalogue could not be opened: ${error.data}`;
    case "NotFound":
    case "Storage":
    case "BadBackup":
      return error.data;
    case "Conflict":
      // A rule's refusal may name dates ("already has its next term (from 2028-01-01)").
      return localizeDates(error.data, locale);
    case "InvalidInput": {
      // Messages that already start with their field's label keep it; others get it.
      const { field, message } = error.data;
      if (/^[A-Z][^:]{0,40}:/.test(message)) return formMessage(message, locale);
      const label = FIELD_LABELS[field] ?? field.charAt(0).toUpperCase() + field.slice(1).replaceAll("_", " ");
      return `${label}: ${formMessage(message, locale)}`;
    }
    case "InvalidTerms":
      return error.data.map((p) => formMessage(p.message, locale)).join("; ");
    case "ImportRejected":
      return `Nothing was imported: ${error.data.map((p) => `${p.file} line ${p.line}: ${p.message}`).join("; ")}`;
    case "Cancelled":
      return "Nothing was saved.";
    case "PassphraseNeeded":
      return `The passphrase of key ${error.data} is needed to sign.`;
    case "NotAllowed":
      // The server's refusal: the member's role may not do this (said in full by the engine).
      return error.data.charAt(0).toUpperCase() + error.data.slice(1);
    case "EditConflict":
      return localizeDates(error.data.message, locale);
    case "ServerAway":
      return error.data.charAt(0).toUpperCase() + error.data.slice(1);
    case "UsageRefused":
      return `The usage report was not imported: ${localizeDates(error.data.message, locale)}`;
  }
}

/** The data of a command's answer, or an Error carrying the sentence to show. */
export function unwrap<T>(answer: Answer<T>): T {
  if (answer.status === "error") throw new Error(describe(answer.error));
  return answer.data;
}

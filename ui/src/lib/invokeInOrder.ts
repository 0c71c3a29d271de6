// What the generated bindings import in place of "@tauri-apps/api/core" (vite.config.ts
// points them here): the same module, with `invoke` sending the app's quick commands one
// after another in the order asked (lib/ordered.ts).
import { invoke as invokeAtOnce } from "@tauri-apps/api/core";
import { inOrder } from "./ordered";

export * from "@tauri-apps/api/core";
export const invoke = inOrder(invokeAtOnce as (command: string, args?: unknown, options?: unknown) => Promise<unknown>) as typeof invokeAtOnce;

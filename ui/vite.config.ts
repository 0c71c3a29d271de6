import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

/** The generated bindings call the app's commands through `lib/invokeInOrder.ts`, which
 * sends them one after another in the order asked (see `lib/ordered.ts`); everything else
 * of Tauri's is the package's own. */
const commandsInOrder = {
  name: "commands-in-order",
  enforce: "pre" as const,
  resolveId(source: string, importer: string | undefined) {
    if (source === "@tauri-apps/api/core" && importer?.replaceAll("\\", "/").endsWith("/src/lib/bindings.ts")) {
      return decodeURIComponent(new URL("./src/lib/invokeInOrder.ts", import.meta.url).pathname);
    }
    return null;
  },
};

export default defineConfig({
  plugins: [commandsInOrder, svelte()],
  clearScreen: false,
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});

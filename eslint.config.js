import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "data/", "dist/", ".tmp/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // the console's browser modules (src/console/web), served as they are: no build step
    files: ["src/console/web/**/*.js"],
    languageOptions: {
      globals: Object.fromEntries(
        [
          "document",
          "location",
          "sessionStorage",
          "fetch",
          "URL",
          "URLSearchParams",
          "setTimeout",
          "clearTimeout",
          "addEventListener",
          "removeEventListener",
        ].map((g) => [g, "readonly"]),
      ),
    },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
);

// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "**/*.js", "**/*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: true },
      ],
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [
                "../server/*",
                "../../*/server/*",
                "../../boot/*",
                "../../registry/*",
                "../../control/*",
                "../../http/*",
                "../../cli/*",
                "node:dgram",
                "node:net",
                "node:fs",
                "node:fs/promises",
              ],
              message: "protocol codecs (dhcp/codec/, tftp/codec/) stay free of I/O and policy",
            },
          ],
        },
      ],
    },
  },
  {
    // Only the codecs are fenced; everything else may import freely downward.
    files: ["src/**/*.ts", "test/**/*.ts", "scripts/**/*.ts"],
    ignores: ["src/dhcp/codec/**", "src/tftp/codec/**"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-floating-promises": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
);

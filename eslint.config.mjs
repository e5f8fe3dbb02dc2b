// ESLint flat config: typescript-eslint's recommended rules everywhere, and the Pulumi plugin's
// type-aware rules (Outputs in template literals) over the program's TypeScript.
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
  {
    ignores: [
      "node_modules/**",
      "bin/**",
      "policy/node_modules/**",
      "plan-out/**",
      ".portal/**",
      "services/*/dist/**",
      "**/*.mjs",
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    plugins: { pulumi },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "pulumi/no-output-in-template-literal": "error",
      "pulumi/no-output-instance-in-template-literal": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
    },
  },
  {
    // policy/tsconfig.json is the pack's deploy-time compile (no checker, no resolution): lint
    // the pack with the project's tsconfig.json, which resolves and types everything.
    files: ["policy/**/*.ts"],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: ["./tsconfig.json"],
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
);

// ESLint flat config: typescript-eslint's recommended rules everywhere, and the Pulumi plugin's
// type-aware rules (Outputs in template literals) over the program's TypeScript.
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
  {
    ignores: [
      "node_modules/**",
      "bin/**",
      "services/*/dist/**",
      "policy/node_modules/**",
      "plan-out/**",
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
);

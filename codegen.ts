import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed documents for the operations clients and tests send (test/operations/*.graphql),
// generated from the committed schema. `npm run codegen` rewrites test/generated/.
const config: CodegenConfig = {
  schema: "schema/schema.graphql",
  documents: ["test/operations/**/*.graphql"],
  generates: {
    "test/generated/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: { useTypeImports: true, scalars: { DateTime: "string" }, enumsAsTypes: true },
    },
  },
  ignoreNoDocuments: false,
  emitLegacyCommonJSImports: false,
};

export default config;

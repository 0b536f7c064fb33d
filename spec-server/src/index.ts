export { readOpenApiDocument, jsonSchemaNullables, type OpenApiDocument } from "./specDocument";
export { compileEveryOperation, startSpecServer, type AnsweredRequest, type OperationHandler, type Refusal, type SpecRequest, type SpecResponse, type SpecServer, type SpecServerOptions } from "./specServer";
export { LANGFUSE_SPEC_VERSIONS, langfuseSpecFiles, startLangfuseSpecServer, type LangfuseSpecServerOptions, type LangfuseSpecVersion } from "./langfuse";

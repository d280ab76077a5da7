// OpenAPI for kubectl: v3 documents per group/version, and an empty v2 protobuf document.

export { OPENAPI_V2_PROTOBUF, registerOpenAPIRoutes } from './routes.js';
export { listSchema, objectSchema, schemaName } from './schemas.js';
export { groupVersionDocument, gvPath, type OpenAPIV3Root, openAPIV3Root } from './v3.js';

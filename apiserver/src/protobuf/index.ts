export { decodeKubernetesProtobuf, decodeMessage, PROTOBUF_CONTENT_TYPE } from './decode.js';
export { unknownFields } from './fields.js';
export { KINDS } from './tables.js';
export { checkFieldTypes } from './types.js';

export { decodeKubernetesProtobuf, decodeMessage, PROTOBUF_CONTENT_TYPE } from './decode.js';
export { KINDS } from './tables.js';

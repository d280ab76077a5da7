export {
  H2_ERROR,
  H2Connection,
  type H2ConnectionOptions,
  H2Error,
  H2Stream,
  type StreamHandlers,
} from './connection.js';
export { encodeHeaders, type HeaderList, HpackDecoder, HpackError } from './hpack.js';

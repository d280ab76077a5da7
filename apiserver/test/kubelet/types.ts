// The little of a `ws` socket the fake kubelet uses (the package ships no types).
export interface TestSocket {
  send(data: Buffer | string): void;
  close(code?: number): void;
  on(event: 'message', l: (data: Buffer) => void): void;
}

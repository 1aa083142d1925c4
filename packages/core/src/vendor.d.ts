// The parts of tr46 and punycode that idna.ts reads: tr46's own tables (its package has no
// `exports` map, so these files are part of what it ships) and punycode's CommonJS entry.

declare module "tr46/lib/regexes.js" {
  const regexes: Record<
    | "combiningMarks"
    | "combiningClassVirama"
    | "validZWNJ"
    | "bidiDomain"
    | "bidiS1LTR"
    | "bidiS1RTL"
    | "bidiS2"
    | "bidiS3"
    | "bidiS4EN"
    | "bidiS4AN"
    | "bidiS5"
    | "bidiS6",
    RegExp
  >;
  export default regexes;
}

declare module "punycode/punycode.js" {
  const punycode: {
    decode(input: string): string;
    encode(input: string): string;
  };
  export default punycode;
}

// The two functions of `semver` (a dependency of npm's own tool chain, untyped) that test/docs/engines.test.ts uses.
declare module 'semver' {
  interface SemVer { major: number; minor: number; patch: number }
  const semver: {
    minVersion(range: string): SemVer | null;
    intersects(range1: string, range2: string): boolean;
  };
  export default semver;
}

// A module source: any code of yours that yields records (here, made up; it could call an API).
export default function* records() {
  for (const [id, city] of [
    ['paris', 'Paris'],
    ['tokyo', 'Tokyo'],
    ['lagos', 'Lagos'],
  ]) {
    yield { id, city, checkedAt: new Date('2026-11-20T12:00:00Z') };
  }
}

import { checkJsonDepth, JsonBodyRefused } from './json-depth';

const scan = (text: string, max = 3, encoding: string | null = 'utf-8'): void => {
  checkJsonDepth(Buffer.from(text, 'utf8'), encoding, max);
};
const refusal = (text: string, max = 3, encoding: string | null = 'utf-8'): unknown => {
  try {
    scan(text, max, encoding);
  } catch (error) {
    return error;
  }
  return null;
};

describe('checkJsonDepth', () => {
  it('when the nesting is at the bound, it passes; one deeper, 400 entity.too.deep', () => {
    expect(refusal('{"a":[{"b":1}]}')).toBeNull();
    expect(refusal('[[[]],[[]],{"a":{"b":1}}]')).toBeNull();
    const error = refusal('{"a":[{"b":[1]}]}');
    expect(error).toBeInstanceOf(JsonBodyRefused);
    expect(error).toMatchObject({ status: 400, type: 'entity.too.deep', expose: true });
  });

  it('when brackets are inside strings, escaped quotes included, they do not count', () => {
    expect(refusal('["[[[[{{{{"]')).toBeNull();
    expect(refusal('["\\"[[[[", "\\\\", "{{{{"]')).toBeNull();
    expect(refusal('{"k[[[[":"v{{{{"}')).toBeNull();
  });

  it('when an escaped backslash ends a string, the brackets after it count', () => {
    expect(refusal('["\\\\",[[[1]]]]')).toMatchObject({ type: 'entity.too.deep' });
  });

  it('when multi-byte UTF-8 surrounds the brackets, the count is unchanged', () => {
    expect(refusal('["é漢🔑",[["😀"]]]')).toBeNull();
    expect(refusal('["é漢🔑",[[["😀"]]]]')).toMatchObject({ type: 'entity.too.deep' });
  });

  it('when the charset is not UTF-8, 415 charset.unsupported', () => {
    expect(refusal('[]', 3, 'utf-16le')).toMatchObject({
      status: 415,
      type: 'charset.unsupported',
    });
    expect(refusal('[]', 3, null)).toBeNull();
  });

  it('when the body is a million brackets deep, it is refused without a stack overflow', () => {
    expect(refusal('['.repeat(1_000_000), 32)).toMatchObject({ type: 'entity.too.deep' });
  });
});

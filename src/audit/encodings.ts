/**
 * The ways a secret is commonly written down besides as itself: URL-encoded (also as a form,
 * with `+` for spaces, and with lower-case escapes), JSON-escaped (once, and twice for JSON in a
 * JSON string), hex, and base64/base64url. Base64 of a secret embedded in a longer value (an
 * `Authorization: Basic` header, a data URL) depends on where it starts, so each of the three
 * alignments contributes the characters that only the secret's bytes determine.
 */
export function encodedForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8')
  const forms = new Set<string>([secret])
  const uri = encodeURIComponent(secret)
  forms.add(uri)
  forms.add(uri.replace(/%20/g, '+'))
  forms.add(uri.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()))
  forms.add(encodeURI(secret))
  let json = secret
  for (let depth = 0; depth < 2; depth++) {
    json = JSON.stringify(json).slice(1, -1)
    forms.add(json)
  }
  const hex = bytes.toString('hex')
  forms.add(hex)
  forms.add(hex.toUpperCase())
  forms.add(bytes.toString('base64'))
  forms.add(bytes.toString('base64url'))
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64')
    const fragment = encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6))
    // Shorter fragments would mask ordinary base64 text by chance.
    if (fragment.length < 6) continue
    forms.add(fragment)
    forms.add(fragment.replace(/\+/g, '-').replace(/\//g, '_'))
  }
  return [...forms]
}

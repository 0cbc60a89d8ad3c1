// Tokentray's mark, drawn inline (the same artwork as icons/tokentray.svg) so it needs no
// image request and follows the page's colours.

export function Mark({ size = 28 }: { size?: number }) {
  return (
    <svg
      class="mark"
      width={size}
      height={size}
      viewBox="64 64 896 896"
      aria-hidden="true"
      focusable="false"
    >
      <defs>
        <linearGradient id="mark-bg" x1="0" y1="0" x2="1" y2="1">
          <stop offset="0" stop-color="#4f46e5" />
          <stop offset="1" stop-color="#0f766e" />
        </linearGradient>
      </defs>
      <rect x="64" y="64" width="896" height="896" rx="208" fill="url(#mark-bg)" />
      <path
        fill="#fff"
        d="M 264 272 H 760 A 64 64 0 0 1 824 336 V 436 A 76 76 0 0 0 824 588 V 688 A 64 64 0 0 1 760 752 H 264 A 64 64 0 0 1 200 688 V 588 A 76 76 0 0 0 200 436 V 336 A 64 64 0 0 1 264 272 Z"
      />
      <g stroke="#3f3cbb" stroke-linecap="round" fill="none" stroke-width="44">
        <line x1="668" y1="330" x2="668" y2="694" stroke-width="26" stroke-dasharray="2 56" />
        <circle cx="446" cy="512" r="128" />
        <path d="M 446 432 V 512 L 502 552" stroke-linejoin="round" />
      </g>
    </svg>
  );
}

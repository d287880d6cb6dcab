"""A small MediaWiki dump for the tests, written the way Wikimedia writes them."""
# ruff: noqa: E501 - wikitext and XML lines as Wikimedia writes them

from __future__ import annotations

import bz2
from pathlib import Path
from xml.sax.saxutils import escape

HEADER = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="ko">
  <siteinfo>
    <sitename>위키백과</sitename>
    <dbname>kowiki</dbname>
    <namespaces>
      <namespace key="0" case="first-letter" />
      <namespace key="2" case="first-letter">사용자</namespace>
      <namespace key="14" case="first-letter">분류</namespace>
    </namespaces>
  </siteinfo>
"""

SEOUL = """{{Infobox 도시
| 이름 = 서울특별시
| 인구 = 9,500,000
}}
'''서울특별시'''는 [[대한민국]]의 [[수도]]이다.<ref>{{웹 인용|url=http://example.org}}</ref> 한강이 도시를 가로질러 흐른다.

== 역사 ==
[[파일:Seoul.jpg|thumb|서울 풍경]]
서울은 [[조선|조선 왕조]]의 수도였다.
* 첫째 궁궐은 경복궁이다
* 둘째 궁궐은 창덕궁이다

{| class="wikitable"
|-
! 구 !! 인구
|-
| 종로구 || 150,000
|}
<!-- 편집자 주석 -->
[[분류:대한민국의 도시]]
[[en:Seoul]]
"""

BUSAN = """'''부산광역시'''는 [[대한민국]] 남동부의 [[항구]] 도시이다.

부산에는 해운대 해수욕장이 있다.
"""

# (title, namespace, redirect target or None, wikitext)
PAGES = [
    ("서울특별시", 0, None, SEOUL),
    ("서울", 0, "서울특별시", "#넘겨주기 [[서울특별시]]"),
    ("사용자:홍길동", 2, None, "사용자 문서의 글은 문서가 아니다."),
    ("부산광역시", 0, None, BUSAN),
]

# What the reader must give for PAGES, written by hand.
EXPECTED = [
    "서울특별시는 대한민국의 수도이다. 한강이 도시를 가로질러 흐른다.",
    "서울 풍경 서울은 조선 왕조의 수도였다. 첫째 궁궐은 경복궁이다 둘째 궁궐은 창덕궁이다",
    "부산광역시는 대한민국 남동부의 항구 도시이다.",
    "부산에는 해운대 해수욕장이 있다.",
]


def page_xml(page_id: int, title: str, ns: int, redirect: str | None, text: str) -> str:
    redirect_tag = f'    <redirect title="{escape(redirect)}" />\n' if redirect else ""
    return (
        f"  <page>\n    <title>{escape(title)}</title>\n    <ns>{ns}</ns>\n"
        f"    <id>{page_id}</id>\n{redirect_tag}    <revision>\n      <id>{page_id + 100}</id>\n"
        f'      <model>wikitext</model>\n      <text bytes="{len(text.encode())}" '
        f'xml:space="preserve">{escape(text)}</text>\n    </revision>\n  </page>\n'
    )


def write_dump(path: Path, pages=PAGES, repeat: int = 1) -> Path:
    """`pages` (`repeat` times over) as a bz2-compressed dump at `path`."""
    with bz2.open(path, "wt", encoding="utf-8") as out:
        out.write(HEADER)
        number = 1
        for _ in range(repeat):
            for title, ns, redirect, text in pages:
                out.write(page_xml(number, title, ns, redirect, text))
                number += 1
        out.write("</mediawiki>\n")
    return path

# Turns a text file into a C++ string literal (a sequence of raw string literals of < 16 KB each,
# within every compiler's literal limit).
file(READ "${IN}" content)
string(LENGTH "${content}" len)
set(out "")
set(pos 0)
while(pos LESS len)
  string(SUBSTRING "${content}" ${pos} 12000 chunk)
  string(APPEND out "R\"atrium_embed(${chunk})atrium_embed\"\n")
  math(EXPR pos "${pos} + 12000")
endwhile()
file(WRITE "${OUT}" "${out}")

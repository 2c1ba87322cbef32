const a="en",l={},s="nplurals=2; plural=(n != 1);",e={locale:"en",messages:l,plural:s};export{e as default,a as locale,l as messages,s as plural};

// aiofs/register resolves, with types, from CommonJS (`require('aiofs/register')`) as well as ESM.
import 'aiofs/register';
